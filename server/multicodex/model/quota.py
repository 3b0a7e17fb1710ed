"""Quota buckets: which of an account's limits a model draws on, and what a window is
called.

An account has its general Codex limit (bucket ``codex``) and may have model-scoped limits
of its own: Pro accounts meter Spark models against ``codex_bengalfox``, with their own
5 h and weekly windows, reported in ``additional_rate_limits`` and, for a Spark request,
in that response's ``x-codex-*`` headers. A Spark 429 exhausts that bucket, not the
account.
"""

from __future__ import annotations

GENERAL_BUCKET = "codex"
"""The account's own limit: every model not metered separately draws on it."""
SPARK_BUCKET = "codex_bengalfox"
"""The ``metered_feature`` of the Spark models' limit."""

_SPARK_MARKER = "-spark"

_HOUR = 3600
_DAY = 24 * _HOUR


def bucket_for_model(model: str | None) -> str:
    """The bucket a request for ``model`` draws on (the general one when unknown)."""
    if model and _SPARK_MARKER in model.lower():
        return SPARK_BUCKET
    return GENERAL_BUCKET


def bucket_label(bucket: str) -> str:
    """A bucket as a user reads it: ``Spark`` for Spark's limit, the id otherwise."""
    if bucket == SPARK_BUCKET:
        return "Spark"
    if bucket == GENERAL_BUCKET:
        return "Codex"
    return bucket


def window_label(seconds: int | None) -> str:
    """A window named by its length: ``5h``, ``weekly``, ``30-day``, ``2-day``.

    Never by its slot: a Pro account's primary window is weekly, a Team account's is 30
    days long.
    """
    if seconds is None or seconds <= 0:
        return "window"
    if seconds < _DAY:
        hours = max(1, round(seconds / _HOUR))
        return f"{hours}h"
    days = round(seconds / _DAY)
    if days == 7:
        return "weekly"
    if days in (28, 29, 30, 31):
        return "30-day"
    return f"{days}-day"
