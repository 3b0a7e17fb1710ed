"""How the application layer reaches whoever drives it (the JSON-RPC server, the CLI)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from multicodex.pool.reset_credits import ConfirmSpend, never_confirmed
from multicodex.protocol import CompletionDelta, LoginProgress, Status, UsageNotice


def _ignore(_message: object) -> None:
    return None


def _cannot_open(_url: str) -> bool:
    return False


@dataclass
class ClientHooks:
    """Callbacks for what the application pushes; each defaults to doing nothing.

    ``completion_delta`` gets every delta of a completion (``completion_delta_json``, when
    set, the text and reasoning ones instead).
    ``open_url`` asks the client to open a login URL and says whether it was asked (the
    server sends ``window/showDocument``; a CLI may start a browser).
    ``confirm_reset_credit`` asks the user whether to spend a reset credit (the server
    sends ``window/showMessageRequest``; a CLI asks on its terminal); by default no one is
    asked and nothing is spent.
    """

    status: Callable[[Status], None] = _ignore
    login_progress: Callable[[LoginProgress], None] = _ignore
    completion_delta: Callable[[CompletionDelta], None] = _ignore
    completion_delta_json: Callable[[list[bytes]], None] | None = None
    """When set, text and reasoning deltas go here as the JSON of their `CompletionDelta`
    instead, those of one network read together, in order (a server relays thousands a
    second: no model is made for each, and they can go out in one write)."""
    usage_notice: Callable[[UsageNotice], None] = _ignore
    open_url: Callable[[str], bool] = _cannot_open
    confirm_reset_credit: ConfirmSpend = never_confirmed
