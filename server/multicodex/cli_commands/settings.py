"""`rotation`, `footer` and `usage-notices`: show the settings in force, or change them
(saved to the store, so the editor and later commands follow)."""

from __future__ import annotations

import argparse
from typing import get_args

from multicodex.app.errors import validated
from multicodex.cli_commands.context import CommandContext
from multicodex.cli_commands.exit_codes import ExitCode
from multicodex.cli_commands.parsing import CliParser, Subparsers
from multicodex.model.settings import ResetCreditConfirm, WhenExhausted
from multicodex.protocol import (
    FooterChoices,
    FooterInfo,
    FooterSetParams,
    NoParams,
    RotationSetParams,
    UsageNoticesInfo,
    UsageNoticesSetParams,
)
from multicodex.selection import STRATEGIES


def register(sub: Subparsers, common: CliParser) -> None:
    rotation = sub.add_parser(
        "rotation",
        parents=[common],
        help="show or change how the next account is chosen",
        description="Without options, shows the policy in force. Options change it and save "
        "it to the store.",
    )
    rotation.add_argument("--strategy", choices=sorted(STRATEGIES), help="selection strategy")
    rotation.add_argument(
        "--retry-limit", type=int, metavar="N", help="retries on other accounts (0-50)"
    )
    rotation.add_argument(
        "--sticky",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="keep a conversation on its account while that account is healthy",
    )
    rotation.add_argument(
        "--fallback-cooldown",
        dest="fallback_cooldown_seconds",
        type=int,
        metavar="SECONDS",
        help="cooldown when a quota error gives no reset time",
    )
    rotation.add_argument(
        "--first-output-timeout",
        dest="first_output_timeout_seconds",
        type=float,
        metavar="SECONDS",
        help="try another account when the backend has not started answering by then",
    )
    rotation.add_argument(
        "--stall-timeout",
        dest="stall_timeout_seconds",
        type=float,
        metavar="SECONDS",
        help="longest silence of an answer under way before it counts as dead",
    )
    rotation.add_argument(
        "--when-exhausted",
        choices=get_args(WhenExhausted.__value__),
        help="once every included quota is used up: wait for a reset (default), spend a "
        "banked reset credit, or use paid credits",
    )
    rotation.add_argument(
        "--reset-credit-confirm",
        choices=get_args(ResetCreditConfirm.__value__),
        help="with --when-exhausted reset-credit: ask before each spend (default) or not",
    )
    rotation.set_defaults(run=run_rotation)

    footer = sub.add_parser(
        "footer",
        parents=[common],
        help="show or change the footer format",
        description="Without options, shows the footer settings and the footer they give "
        "now. Options change them and save them to the store.",
    )
    choices = FooterChoices()
    footer.add_argument("--usage-mode", choices=choices.usage_mode, help="percent left or used")
    footer.add_argument(
        "--reset-window",
        choices=choices.reset_window,
        help="which reset countdown to show (binding: the window closest to running out)",
    )
    footer.add_argument(
        "--show-account",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show the active account's name",
    )
    footer.add_argument(
        "--show-reset",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show reset countdowns",
    )
    footer.add_argument("--order", choices=choices.order, help="account before or after usage")
    footer.add_argument(
        "--compact",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a short footer for narrow status bars (the binding window, a short name)",
    )
    footer.set_defaults(run=run_footer)

    notices = sub.add_parser(
        "usage-notices",
        parents=[common],
        help="show or change when a usage notice is sent",
        description="Without options, shows the thresholds in force. Options change them and "
        "save them to the store.",
    )
    notices.add_argument(
        "--thresholds",
        type=percent_list,
        metavar="P,P",
        help="percents used that are announced, ascending, each 1-100 (none: no notices)",
    )
    notices.add_argument(
        "--margin",
        type=float,
        metavar="POINTS",
        help="how far use must fall below a threshold before it is announced again (0-50)",
    )
    notices.set_defaults(run=run_usage_notices)


def percent_list(text: str) -> list[int]:
    """``80,95``; ``none`` (or nothing) for no thresholds."""
    if text.strip().lower() in ("", "none"):
        return []
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("expected whole percents separated by commas") from None


async def run_rotation(ctx: CommandContext) -> int:
    args = ctx.args
    changes = {
        "strategy": args.strategy,
        "retry_limit": args.retry_limit,
        "sticky": args.sticky,
        "fallback_cooldown_seconds": args.fallback_cooldown_seconds,
        "first_output_timeout_seconds": args.first_output_timeout_seconds,
        "stall_timeout_seconds": args.stall_timeout_seconds,
        "when_exhausted": args.when_exhausted,
        "reset_credit_confirm": args.reset_credit_confirm,
    }
    if any(value is not None for value in changes.values()):
        info = await ctx.app.rotation_set(validated(RotationSetParams, changes))
    else:
        info = await ctx.app.rotation_get(NoParams())
    if ctx.out.json_mode:
        ctx.out.result(info)
        return ExitCode.OK
    policy = info.policy
    ctx.out.line(
        f"rotation: strategy={policy.strategy} sticky={'on' if policy.sticky else 'off'} "
        f"retryLimit={policy.retry_limit} fallbackCooldown={policy.fallback_cooldown_seconds}s "
        f"firstOutputTimeout={policy.first_output_timeout_seconds:g}s "
        f"stallTimeout={policy.stall_timeout_seconds:g}s "
        f"whenExhausted={policy.when_exhausted} resetCreditConfirm={policy.reset_credit_confirm}"
    )
    ctx.out.lines(info.description)
    ctx.out.line("Strategies:")
    width = max(len(s.name) for s in info.strategies)
    for strategy in info.strategies:
        mark = "*" if strategy.name == policy.strategy else " "
        ctx.out.line(f" {mark} {strategy.name:<{width}}  {strategy.description}")
    return ExitCode.OK


async def run_footer(ctx: CommandContext) -> int:
    args = ctx.args
    changes = {
        "usage_mode": args.usage_mode,
        "reset_window": args.reset_window,
        "show_account": args.show_account,
        "show_reset": args.show_reset,
        "order": args.order,
        "compact": args.compact,
    }
    if any(value is not None for value in changes.values()):
        info = await ctx.app.footer_set(validated(FooterSetParams, changes))
    else:
        info = await ctx.app.footer_get(NoParams())
    if ctx.out.json_mode:
        ctx.out.result(info)
        return ExitCode.OK
    ctx.out.line(footer_summary(info))
    ctx.out.footer(info.line)
    return ExitCode.OK


def footer_summary(info: FooterInfo) -> str:
    """The original's one-line summary of the footer settings."""
    s = info.settings
    return (
        f"footer: usageMode={s.usage_mode} resetWindow={s.reset_window} "
        f"showAccount={'on' if s.show_account else 'off'} "
        f"showReset={'on' if s.show_reset else 'off'} order={s.order} "
        f"compact={'on' if s.compact else 'off'}"
    )


async def run_usage_notices(ctx: CommandContext) -> int:
    args = ctx.args
    changes = {"thresholds": args.thresholds, "margin": args.margin}
    if any(value is not None for value in changes.values()):
        info = await ctx.app.usage_notices_set(validated(UsageNoticesSetParams, changes))
    else:
        info = await ctx.app.usage_notices_get(NoParams())
    if ctx.out.json_mode:
        ctx.out.result(info)
        return ExitCode.OK
    ctx.out.line(notices_summary(info))
    ctx.out.line(info.description)
    return ExitCode.OK


def notices_summary(info: UsageNoticesInfo) -> str:
    thresholds = ",".join(str(t) for t in info.thresholds) or "none"
    return f"usage notices: thresholds={thresholds} margin={info.margin:g}"
