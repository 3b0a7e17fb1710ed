"""`status`, `verify`, `paths` and `import`."""

from __future__ import annotations

import asyncio
import logging

from multicodex.cli_commands.context import CommandContext
from multicodex.cli_commands.exit_codes import ExitCode
from multicodex.cli_commands.output import Style
from multicodex.cli_commands.parsing import CliParser, Subparsers
from multicodex.footer import FooterState
from multicodex.protocol import (
    AccountsImportParams,
    AccountsImportResult,
    CheckStatus,
    ImportSource,
    ImportSourceInfo,
    ImportSourceResult,
    NoParams,
    PathsResult,
)

IMPORT_KINDS = ("codex-cli", "pi", "pi-multicodex")
_VERIFY_MARKS: dict[CheckStatus, str] = {"pass": "ok  ", "warn": "WARN", "fail": "FAIL"}
_VERIFY_STYLES: dict[CheckStatus, Style] = {"pass": "success", "warn": "warning", "fail": "error"}
USAGE_FETCH_SECONDS = 10.0
STATUS_EXIT_CODES: dict[FooterState, ExitCode] = {
    "no_accounts": ExitCode.EXHAUSTED,
    "exhausted": ExitCode.EXHAUSTED,
    "needs_reauth": ExitCode.NEEDS_REAUTH,
}
"""`status` prints the footer in every state; its exit code says whether an account can
serve a request now (0), none can (5), or only a new login would help (4)."""

log = logging.getLogger(__name__)


def register(sub: Subparsers, common: CliParser) -> None:
    status = sub.add_parser(
        "status",
        parents=[common],
        help="print the footer line (active account and its usage)",
        description="Prints the footer exactly as the editor shows it. The active account's "
        "usage is fetched first when it is older than five minutes (at most ~10 s). Exits 0 "
        "when an account can serve a request, 5 when none can (every account exhausted or "
        "cooling down, or no accounts), 4 when only a new login would help.",
    )
    status.add_argument(
        "--cached", action="store_true", help="answer from what is known, fetch nothing"
    )
    status.set_defaults(run=run_status, creates_home=False)

    verify = sub.add_parser(
        "verify",
        parents=[common],
        help="runtime health checks (exit 0 on PASS, 1 on WARN or FAIL)",
    )
    verify.set_defaults(run=run_verify, creates_home=False)

    paths = sub.add_parser(
        "paths", parents=[common], help="where MultiCodex keeps its files and what it talks to"
    )
    paths.set_defaults(run=run_paths, creates_home=False)
    # The original's `path` (hidden from the help, which lists `paths`).
    path = sub.add_parser("path", parents=[common], description="The same as `paths`.")
    path.set_defaults(run=run_paths, creates_home=False)

    importing = sub.add_parser(
        "import",
        parents=[common],
        help="import the accounts the Codex CLI, pi or pi-multicodex are logged in with",
        description="Without a source, tries all three at their default places. Imported "
        "accounts stay linked: refreshed tokens are written back so the other tool keeps "
        "working (refresh tokens are single-use).",
    )
    importing.add_argument("source", nargs="?", choices=IMPORT_KINDS, help="which tool")
    importing.add_argument(
        "--path", metavar="FILE", help="the credential file (default: the tool's usual place)"
    )
    importing.add_argument(
        "--no-link", action="store_true", help="copy the credentials; do not write back"
    )
    importing.set_defaults(run=run_import, picks_up_pi_login=False)  # it says what it imports


async def run_status(ctx: CommandContext) -> int:
    if not ctx.args.cached:
        await _refresh_active_usage(ctx)
    status = await ctx.app.status_get(NoParams())
    if ctx.out.json_mode:
        ctx.out.result(status)
    else:
        ctx.out.footer(status.footer)
        if status.glance.text:  # stdout stays the footer alone, for scripts
            ctx.out.note(status.glance.text, "dim")
    return STATUS_EXIT_CODES.get(status.footer.state, ExitCode.OK)


async def _refresh_active_usage(ctx: CommandContext) -> None:
    """What the server's periodic check does: fetch the active account's usage if stale.
    A failure only means the footer shows what is known (the store records the error)."""
    try:
        async with asyncio.timeout(USAGE_FETCH_SECONDS):
            await ctx.app.refresh_active_usage()
    except Exception as exc:
        log.info("could not fetch the active account's usage: %s", type(exc).__name__)


async def run_verify(ctx: CommandContext) -> int:
    result = await ctx.app.verify(NoParams())
    if ctx.out.json_mode:
        ctx.out.result(result)
    else:
        ctx.out.line(result.summary_line, _VERIFY_STYLES[result.status])
        for check in result.checks:
            ctx.out.line(f"  [{_VERIFY_MARKS[check.status]}] {check.label}: {check.detail}")
    return ExitCode.OK if result.status == "pass" else ExitCode.FAILURE


async def run_paths(ctx: CommandContext) -> int:
    result = await ctx.app.paths(NoParams())
    if ctx.out.json_mode:
        ctx.out.result(result)
        return ExitCode.OK
    rows = [("home", result.home), *_store_rows(result)]
    rows += [("auth url", result.auth_url), ("backend url", result.backend_url)]
    storage = result.database.url if result.database is not None else result.store_file
    ctx.out.line(f"paths: storage={storage} home={result.home}")
    for name, value in rows:
        ctx.out.line(f"  {name + ':':<12} {value}")
    ctx.out.line("  import sources:")
    for source in result.import_sources:
        ctx.out.line(f"    {source_line(source)}")
    return ExitCode.OK


def _store_rows(result: PathsResult) -> list[tuple[str, str]]:
    """The file store's files, or what the database is (its lock and schema are in it)."""
    database = result.database
    if database is None:
        return [
            ("store", result.store_file),
            ("lock", result.lock_file),
            ("schema", result.schema_file),
            ("quarantine", result.quarantine_file),
        ]
    schema = f"version {database.schema_version} (this MultiCodex: "
    schema += f"{database.supported_schema_version})"
    key = f"{database.key_id} from {database.key_source}" if database.key_id else "none set"
    return [("store", f"database {database.url}"), ("schema", schema), ("key", key)]


def source_line(source: ImportSourceInfo) -> str:
    found = f"found: {source.note}" if source.exists and source.note else "found"
    return f"{source.kind:<13} {source.path} ({found if source.exists else 'not found'})"


async def run_import(ctx: CommandContext) -> int:
    args = ctx.args
    sources = None
    if args.source is not None:
        sources = [ImportSource(kind=args.source, path=args.path)]
    elif args.path is not None:
        ctx.out.note("multicodex import: --path needs a source (codex-cli, pi or pi-multicodex)")
        return ExitCode.USAGE
    result = await ctx.app.accounts_import(
        AccountsImportParams(sources=sources, link=not args.no_link)
    )
    if ctx.out.json_mode:
        ctx.out.result(result)
        return ExitCode.OK
    print_import(ctx, result)
    return ExitCode.OK


def print_import(ctx: CommandContext, result: AccountsImportResult) -> None:
    for source in result.sources:
        ctx.out.line(import_source_line(source))
    ctx.out.line(f"imported: {result.added_count} added, {result.updated_count} updated")


def import_source_line(source: ImportSourceResult) -> str:
    head = f"{source.kind} {source.path}:"
    if source.error:
        return f"{head} {source.error}"
    if not source.found:
        return f"{head} not found"
    parts = [
        f"{verb} {', '.join(a.display_name for a in refs)}"
        for verb, refs in (
            ("added", source.added),
            ("updated", source.updated),
            ("unchanged", source.unchanged),
            ("kept the newer tokens MultiCodex already has for", source.kept),
        )
        if refs
    ]
    return f"{head} {'; '.join(parts) or 'no account'}"
