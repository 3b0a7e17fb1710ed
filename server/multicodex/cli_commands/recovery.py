"""`recover`: go on after the store document was found corrupt and moved aside."""

from __future__ import annotations

from multicodex.cli_commands.context import CommandContext
from multicodex.cli_commands.exit_codes import ExitCode
from multicodex.cli_commands.parsing import CliParser, Subparsers
from multicodex.protocol import StoreRecoverParams


def register(sub: Subparsers, common: CliParser) -> None:
    recover = sub.add_parser(
        "recover",
        parents=[common],
        help="go on after the store was found corrupt (the moved file is kept)",
        description="A store document MultiCodex cannot use is moved aside "
        "(accounts.json.corrupt-<time>) and every command fails until you decide what to do. "
        "--start-empty goes on with an empty store; the moved file stays where it is, to "
        "restore by hand or import from. Without a moved document there is nothing to do.",
    )
    action = recover.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--start-empty",
        dest="action",
        action="store_const",
        const="start_empty",
        help="use an empty store from now on (in every editor window and command)",
    )
    recover.set_defaults(run=run_recover, picks_up_pi_login=False)


async def run_recover(ctx: CommandContext) -> int:
    result = await ctx.app.store_recover(StoreRecoverParams(action=ctx.args.action))
    if ctx.out.json_mode:
        ctx.out.result(result)
    else:
        ctx.out.line(result.message, "success" if result.recovered else None)
    return ExitCode.OK
