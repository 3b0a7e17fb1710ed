"""`codex [ARGS…]`: the official Codex CLI on the pool, for one run.

A proxy is started on 127.0.0.1 (any free port) for as long as the CLI runs; the CLI gets
it as a model provider of its own through ``-c`` options and its bearer through the
environment. Everything else is the user's own: ``~/.codex`` (or ``$CODEX_HOME``) is read
as usual and never written by MultiCodex, so the user's model, approval and sandbox
settings apply and the CLI's sessions stay where ``resume`` finds them. The terminal is
the CLI's; Ctrl-C reaches it from the terminal, SIGTERM and SIGHUP sent to MultiCodex are
passed on; the exit code is the CLI's.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from collections.abc import Mapping
from pathlib import Path

from multicodex.cli_commands.context import CommandContext
from multicodex.cli_commands.failure import CliFailure
from multicodex.cli_commands.parsing import Subparsers
from multicodex.proxy.client_config import SECRET_ENV, override_arguments, with_loopback_exempt

CODEX_BIN_ENV = "MULTICODEX_CODEX_BIN"
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
INSTALL_HINT = (
    "install it with `npm install -g @openai/codex` (or `brew install codex`), "
    f"or set {CODEX_BIN_ENV} to its path"
)


def register(sub: Subparsers) -> None:
    # No option of its own (`-` is not an option prefix here): every argument after
    # `codex`, --help included, is the Codex CLI's.
    codex = sub.add_parser(
        "codex",
        add_help=False,
        prefix_chars="\0",
        help="run the official Codex CLI on the pool (arguments are passed to it)",
        description="Runs `codex ARGS…` against a proxy on 127.0.0.1 started for the run.",
    )
    codex.add_argument("codex_args", nargs="...", metavar="ARGS")
    codex.set_defaults(run=run_codex)


def find_codex(env: Mapping[str, str]) -> str:
    """The Codex CLI: ``$MULTICODEX_CODEX_BIN``, else ``codex`` on ``PATH``."""
    named = env.get(CODEX_BIN_ENV, "").strip()
    if named:
        path = Path(named).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        raise CliFailure(f"{CODEX_BIN_ENV}={named} is not an executable file; {INSTALL_HINT}")
    found = shutil.which("codex", path=env.get("PATH"))
    if found is None:
        raise CliFailure(f"the Codex CLI (`codex`) is not on PATH; {INSTALL_HINT}")
    return found


async def run_codex(ctx: CommandContext) -> int:
    from multicodex.proxy.server import ProxyServer  # uvicorn: loaded for this command only

    binary = find_codex(ctx.app.env)
    async with ProxyServer(ctx.app, port=0) as proxy:
        argv = [binary, *override_arguments(proxy.base_url), *ctx.args.codex_args]
        env = with_loopback_exempt({**ctx.app.env, SECRET_ENV: proxy.secret})
        return await run_in_foreground(argv, env)


async def run_in_foreground(argv: list[str], env: dict[str, str]) -> int:
    """Run the CLI on this process's terminal until it exits; its exit code (128 + the
    signal's number when a signal ended it, as a shell says it)."""
    process = await asyncio.create_subprocess_exec(*argv, env=env)
    loop = asyncio.get_running_loop()
    # The terminal sends Ctrl-C to the CLI too: it decides what an interrupt means.
    loop.add_signal_handler(signal.SIGINT, lambda: None)
    for signum in FORWARDED_SIGNALS:
        loop.add_signal_handler(signum, _forward, process, signum)
    try:
        code = await process.wait()
    finally:
        for signum in (signal.SIGINT, *FORWARDED_SIGNALS):
            loop.remove_signal_handler(signum)
        if process.returncode is None:
            process.kill()
            await process.wait()
    return 128 - code if code < 0 else code


def _forward(process: asyncio.subprocess.Process, signum: int) -> None:
    if process.returncode is None:
        process.send_signal(signum)
