"""`accounts`, `use`, `refresh`, `remove`, `label` and `reset`: the account pool."""

from __future__ import annotations

from multicodex.cli_commands.context import CommandContext
from multicodex.cli_commands.exit_codes import ExitCode
from multicodex.cli_commands.failure import CliFailure
from multicodex.cli_commands.output import Style
from multicodex.cli_commands.parsing import CliParser, Subparsers, identifier_argument
from multicodex.cli_commands.prompts import confirm, stdin_is_terminal
from multicodex.cli_commands.render import account_details
from multicodex.protocol import (
    AccountInfo,
    AccountsLabelParams,
    AccountsListParams,
    AccountsListResult,
    AccountsRefreshParams,
    AccountsRemoveParams,
    AccountsResetParams,
    AccountsUseParams,
    ActiveAccount,
    NoParams,
)

ALL_ACCOUNTS = "all"
NO_ACCOUNTS = (
    "No accounts yet. Add one with `multicodex login`, or bring in the ones the Codex CLI "
    "or pi already use with `multicodex import`."
)


def register(sub: Subparsers, common: CliParser) -> None:
    accounts = sub.add_parser(
        "accounts",
        parents=[common],
        help="list the accounts (or show one)",
        description="Every account with its state and usage, and which one is active and "
        "why. Usage older than five minutes is fetched first (at most ~10 s).",
    )
    identifier_argument(accounts, required=False)
    _cached_option(accounts)
    accounts.set_defaults(run=run_accounts, creates_home=False)

    # The original's `show`: the listing (hidden from the help, which lists `accounts`).
    show = sub.add_parser("show", parents=[common], description="The same as `accounts`.")
    _cached_option(show)
    show.set_defaults(run=run_accounts, identifier=None, creates_home=False)

    use = sub.add_parser(
        "use",
        parents=[common],
        help="pin an account: requests use it while it is usable",
        description="Pins the account (its token is checked and refreshed first; a cooldown "
        "on it is cleared). The pin is kept in the store, so later multicodex commands use "
        "the account too, until `multicodex reset manual`, or until it hits its limit or "
        "needs a new login.",
    )
    identifier_argument(use)
    use.set_defaults(run=run_use)

    refresh = sub.add_parser(
        "refresh",
        parents=[common],
        help="check tokens and fetch usage now (one account or all)",
    )
    identifier_argument(refresh, required=False)
    refresh.add_argument(
        "--all", action="store_true", help="every account (the default; `refresh all` too)"
    )
    refresh.set_defaults(run=run_refresh)

    remove = sub.add_parser(
        "remove",
        parents=[common],
        help="remove an account from the pool",
        description="Deletes the account's tokens from the store (a linked file of the "
        "Codex CLI or pi is never touched). Asks first unless --yes.",
    )
    identifier_argument(remove)
    remove.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(run=run_remove)

    label = sub.add_parser("label", parents=[common], help="set or clear an account's name")
    identifier_argument(label)
    label.add_argument("name", nargs="?", help="the new display name; omit to clear it")
    label.set_defaults(run=run_label)

    reset = sub.add_parser(
        "reset",
        parents=[common],
        help="clear the pin and/or every cooldown",
        description="manual: clear the pinned account; quota: clear every cooldown; "
        "all (default): both.",
    )
    reset.add_argument(
        "target", nargs="?", type=str.lower, choices=("manual", "quota", "all"), default="all"
    )
    reset.set_defaults(run=run_reset)


def _cached_option(parser: CliParser) -> None:
    parser.add_argument(
        "--cached", action="store_true", help="answer from what is known, fetch nothing"
    )


async def run_accounts(ctx: CommandContext) -> int:
    identifier: str | None = ctx.args.identifier
    listing = await ctx.app.accounts_list(AccountsListParams(refresh_stale=not ctx.args.cached))
    if identifier is not None:
        account = ctx.resolve(identifier)
        shown = next((a for a in listing.accounts if a.key == account.key), account)
        return await _show_account(ctx, shown, listing.updated_at)
    if ctx.out.json_mode:
        ctx.out.result(listing)
        return ExitCode.OK
    _print_listing(ctx, listing)
    return ExitCode.OK


async def _show_account(ctx: CommandContext, account: AccountInfo, now: float) -> int:
    if ctx.out.json_mode:
        ctx.out.result(account)
        return ExitCode.OK
    footer = await ctx.app.footer_get(NoParams())  # percentages as the footer shows them
    ctx.out.line(account.status_line, "bold")
    ctx.out.lines(account_details(account, footer.settings.usage_mode, now))
    return ExitCode.OK


def _print_listing(ctx: CommandContext, listing: AccountsListResult) -> None:
    if listing.no_accounts:
        ctx.out.line(NO_ACCOUNTS)
        return
    for account in listing.accounts:
        ctx.out.line(account.status_line, _style_of(account))
        for block in account.model_blocks:
            ctx.out.line(f"  blocked: {block.reason}")
    print_active(ctx, listing.active)


def print_active(ctx: CommandContext, active: ActiveAccount | None, label: str = "active") -> None:
    if active is None:
        ctx.out.line(f"{label}: none (no account can serve a request now)", "warning")
    else:
        ctx.out.line(f"{label}: {active.display_name} - {active.reason}")


def _style_of(account: AccountInfo) -> Style | None:
    if account.state == "needs_reauth":
        return "error"
    if account.state in ("cooldown", "at_limit"):
        return "warning"
    return "accent" if account.is_active else None


async def run_use(ctx: CommandContext) -> int:
    account = ctx.resolve(ctx.args.identifier)
    result = await ctx.app.accounts_use(AccountsUseParams(key=account.key))
    if ctx.out.json_mode:
        ctx.out.result(result)
        return ExitCode.OK
    ctx.out.line(f"pinned {result.account.display_name}")
    ctx.out.line(result.account.status_line)
    return ExitCode.OK


async def run_refresh(ctx: CommandContext) -> int:
    identifier: str | None = ctx.args.identifier
    if identifier == ALL_ACCOUNTS:  # the original's `refresh all`
        identifier = None
    if identifier is not None and ctx.args.all:
        raise CliFailure("give an account or --all, not both", ExitCode.USAGE)
    key = ctx.resolve(identifier).key if identifier is not None else None
    result = await ctx.app.accounts_refresh(AccountsRefreshParams(key=key))
    if ctx.out.json_mode:
        ctx.out.result(result)
    elif key is None or not result.errors:
        ctx.out.line(result.summary if key is None else f"refreshed {identifier}")
        for account in result.accounts:
            ctx.out.line(account.status_line, _style_of(account))
    states = {a.key: a.state for a in result.accounts}
    for error in result.errors:
        name = error.account.display_name
        fix = (
            f" - run `multicodex reauth {name}`"
            if states.get(error.account.key) == "needs_reauth"
            else ""
        )
        ctx.out.note(f"multicodex refresh: {name}: {error.message}{fix}", "warning")
    if not result.errors:
        return ExitCode.OK
    failed = {e.account.key for e in result.errors}
    all_need_reauth = all(a.state == "needs_reauth" for a in result.accounts if a.key in failed)
    return ExitCode.NEEDS_REAUTH if all_need_reauth else ExitCode.FAILURE


async def run_remove(ctx: CommandContext) -> int:
    account = ctx.resolve(ctx.args.identifier)
    if not ctx.args.yes:
        if not stdin_is_terminal():
            raise CliFailure(
                f"not removing {account.display_name} without confirmation: "
                "there is no terminal to ask on; pass --yes",
                ExitCode.USAGE,
            )
        question = f"Remove {account.display_name}?"
        if account.is_active:
            question += " This account is currently active and MultiCodex will switch to another."
        if not await confirm(question):
            ctx.out.note(f"kept {account.display_name}")
            return ExitCode.FAILURE
    result = await ctx.app.accounts_remove(AccountsRemoveParams(key=account.key))
    if ctx.out.json_mode:
        ctx.out.result(result)
        return ExitCode.OK
    ctx.out.line(f"Removed {result.removed.display_name}")
    print_active(ctx, result.active, "active now")
    return ExitCode.OK


async def run_label(ctx: CommandContext) -> int:
    account = ctx.resolve(ctx.args.identifier)
    result = await ctx.app.accounts_label(AccountsLabelParams(key=account.key, label=ctx.args.name))
    if ctx.out.json_mode:
        ctx.out.result(result)
        return ExitCode.OK
    named = result.account
    ctx.out.line(f"{named.email or named.key} is now shown as {named.display_name}")
    return ExitCode.OK


async def run_reset(ctx: CommandContext) -> int:
    result = await ctx.app.accounts_reset(AccountsResetParams(target=ctx.args.target))
    if ctx.out.json_mode:
        ctx.out.result(result)
    else:
        ctx.out.line(result.summary)
    return ExitCode.OK
