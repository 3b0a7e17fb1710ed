"""`proxy`: the Codex backend surface on 127.0.0.1, served by the pool, for the official
Codex CLI and IDE extension. The first line on stdout is the base URL; it serves until
Ctrl-C or SIGTERM (token refreshes in flight are saved before it exits)."""

from __future__ import annotations

import argparse
import asyncio

from multicodex import heap
from multicodex.cli_commands.context import CommandContext
from multicodex.cli_commands.exit_codes import ExitCode
from multicodex.cli_commands.parsing import CliParser, Subparsers
from multicodex.proxy.client_config import (
    PERMANENT_PORT,
    SECRET_ENV,
    config_block,
    environment_line,
)
from multicodex.proxy.security import (
    SECRET_FILE,
    NotLoopback,
    load_or_create_secret,
    require_loopback,
)


def register(sub: Subparsers, common: CliParser) -> None:
    proxy = sub.add_parser(
        "proxy",
        parents=[common],
        help="serve the pool to the official Codex CLI on 127.0.0.1",
        description="Serves the Codex backend's endpoints (responses, models, usage) on "
        "127.0.0.1 through the pool: failover before output, cooldowns, refreshes and "
        "stickiness as for `ask`. Clients authenticate with the secret stored beside the "
        f"store ({SECRET_FILE}). The first line printed is the base URL.",
    )
    proxy.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    proxy.add_argument(
        "--print-config",
        action="store_true",
        help="print the ~/.codex/config.toml provider block and the environment line for a "
        f"permanent setup (on --port, else {PERMANENT_PORT}), and exit",
    )
    proxy.add_argument(
        "--host",
        type=_loopback_host,
        default="127.0.0.1",
        help="only 127.0.0.1 or localhost: the proxy never listens on another interface",
    )
    proxy.set_defaults(run=run_proxy)


def _loopback_host(value: str) -> str:
    try:
        require_loopback(value)
    except NotLoopback as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


async def run_proxy(ctx: CommandContext) -> int:
    from multicodex.proxy.server import ProxyServer  # uvicorn: loaded for this command only

    if ctx.args.print_config:
        return print_config(ctx)
    server = ProxyServer(ctx.app, port=ctx.args.port)
    await server.start()
    heap.settle()
    try:
        ctx.out.line(server.base_url)
        ctx.out.note(
            f"multicodex proxy: serving the pool at {server.base_url} "
            f"(bearer: the secret in {ctx.app.store.home / SECRET_FILE}); Ctrl-C stops it",
            "info",
        )
        await server.wait_closed()
    finally:
        await asyncio.shield(server.aclose())
    return ExitCode.OK


def print_config(ctx: CommandContext) -> int:
    """A permanent setup: the provider block for ``~/.codex/config.toml`` (the Codex CLI
    and the IDE extension read it) and the secret's environment line, for one fixed port."""
    port = ctx.args.port or PERMANENT_PORT
    secret = load_or_create_secret(ctx.app.store.home)
    ctx.out.lines(
        [
            config_block(f"http://127.0.0.1:{port}/backend-api"),
            "",
            f"# {SECRET_ENV} is a secret (anyone holding it spends your accounts): set it in",
            "# the environment of the Codex CLI or the editor, never in a shared file",
            environment_line(secret),
            "",
            f"# keep the proxy running on that port: multicodex proxy --port {port}",
        ]
    )
    return ExitCode.OK
