"""What a running subcommand works with: the App (built from the global options), the
hooks it pushes through, the output streams and the parsed arguments."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from pydantic import BaseModel

from multicodex.app import App, ClientHooks
from multicodex.cli_commands.output import Output
from multicodex.protocol import AccountInfo, InitializationOptions


@dataclass
class CommandContext:
    app: App
    hooks: ClientHooks
    out: Output
    args: argparse.Namespace
    last_result: BaseModel | None = None
    """The result model the command got from the App (the demo reads it back)."""

    def resolve(self, identifier: str) -> AccountInfo:
        """The account an identifier names (the pool decides what matches)."""
        return self.app.resolve_account(identifier)


def initialization_options(
    args: argparse.Namespace, callback_ports: list[int] | None = None
) -> InitializationOptions:
    """The App's options from the global command-line options (the environment fills the
    rest: MULTICODEX_HOME, MULTICODEX_STORE, MULTICODEX_AUTH_URL, MULTICODEX_BACKEND_URL)."""
    return InitializationOptions(
        home=args.home,
        store=args.store,
        auth_url=args.auth_url,
        backend_url=args.backend_url,
        callback_ports=callback_ports,
    )
