"""Why a login produced no tokens. Messages are for people and never contain secrets."""

from __future__ import annotations


class LoginError(Exception):
    """The login failed: denied, state mismatch, failed code exchange, unusable tokens."""


class LoginTimeout(LoginError):
    """Nobody completed the login within its time limit."""


class LoginCancelled(LoginError):
    """The login was cancelled before it completed."""


class CallbackPortsBusy(LoginError):
    """None of the loopback callback ports could be bound."""
