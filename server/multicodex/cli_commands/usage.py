"""`usage`: the recorded usage history, as a table or JSON, with the pool's forecasts."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from multicodex.cli_commands.context import CommandContext
from multicodex.cli_commands.exit_codes import ExitCode
from multicodex.cli_commands.parsing import CliParser, Subparsers
from multicodex.model import bucket_label
from multicodex.protocol import UsageHistoryParams, UsageHistoryResult

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
HEADERS = ("time (UTC)", "account", "limit", "window", "used", "resets (UTC)", "source")


def register(sub: Subparsers, common: CliParser) -> None:
    usage = sub.add_parser(
        "usage",
        parents=[common],
        help="the usage history: every observation per account and window, and forecasts",
        description="Every usage observation recorded (from wham/usage and from the headers "
        "of answers), oldest first, kept 35 days; then the pool's forecast per window.",
    )
    usage.add_argument(
        "--since",
        metavar="WHEN",
        help="a span back from now (30m, 2h, 3d, 1w) or an ISO time (default: 24h)",
    )
    usage.add_argument("--account", metavar="ACCOUNT", help="one account (email, label, key)")
    usage.set_defaults(run=run_usage, creates_home=False)


def parse_since(text: str | None, now: float) -> float | None:
    """``2h`` → two hours ago; an ISO time (UTC unless it says) → that moment."""
    if text is None:
        return None
    span = _SPAN.match(text)
    if span:
        return now - float(span.group(1)) * _UNIT_SECONDS[span.group(2)]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since {text!r}: give a span (2h, 3d) or an ISO time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


async def run_usage(ctx: CommandContext) -> int:
    since = parse_since(ctx.args.since, time.time())
    result = await ctx.app.usage_history(UsageHistoryParams(since=since, account=ctx.args.account))
    if ctx.out.json_mode:
        ctx.out.result(result)
        return ExitCode.OK
    ctx.out.lines(history_table(result))
    for forecast in result.forecasts:
        ctx.out.line(forecast, "bold")
    return ExitCode.OK


def history_table(result: UsageHistoryResult) -> list[str]:
    if not result.observations:
        return [f"no usage recorded since {_stamp(result.since)} UTC"]
    names = {a.key: a.display_name for a in result.accounts}
    rows = [
        (
            _stamp(o.at),
            names.get(o.account, o.account),
            bucket_label(o.bucket),
            o.window,
            f"{o.used_percent:.0f}%",
            _stamp(o.resets_at) if o.resets_at is not None else "unknown",
            o.source,
        )
        for o in result.observations
    ]
    widths = [max(len(r[i]) for r in (HEADERS, *rows)) for i in range(len(HEADERS))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in (HEADERS, *rows)
    ]


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%d %H:%M")
