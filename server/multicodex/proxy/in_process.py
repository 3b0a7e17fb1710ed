"""The proxy inside the editor's server (``initializationOptions.proxy``): one process and
one pool, so what the Codex CLI and IDE extension spend moves the same status the footer
shows. Its own state (serving where, what it served, why not) is part of that status."""

from __future__ import annotations

import logging

from multicodex.app import App
from multicodex.protocol import AccountRef, ProxyOptions, ProxyStatus
from multicodex.proxy.server import ProxyServer

log = logging.getLogger(__name__)


class InProcessProxy:
    def __init__(self, app: App, options: ProxyOptions) -> None:
        self._app = app
        self._port = options.port
        self._server: ProxyServer | None = None
        self._state = ProxyStatus(
            serving=False, base_url=None, error=None, turns_served=0, last_account=None
        )
        app.status_feed.proxy_status = lambda: self._state

    @property
    def state(self) -> ProxyStatus:
        return self._state

    async def start(self) -> None:
        """Serve on the configured port; a port that is taken is said in the status (and
        the log), and the server goes on without the proxy."""
        server = ProxyServer(self._app, port=self._port, on_served=self._served)
        try:
            await server.start()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            message = f"cannot listen on 127.0.0.1:{self._port}: {reason}"
            log.warning("the Codex CLI proxy is off: %s", message)
            self._update(error=message)
            return
        self._server = server
        log.info("the Codex CLI proxy serves the pool at %s", server.base_url)
        self._update(serving=True, base_url=server.base_url, error=None)

    async def aclose(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.aclose()
            self._update(serving=False, base_url=None)

    def _served(self, account_key: str) -> None:
        account = self._app.pool.document().find(account_key)
        name = account.display_name if account is not None else account_key
        self._update(
            turns_served=self._state.turns_served + 1,
            last_account=AccountRef(key=account_key, display_name=name),
        )

    def _update(self, **changes: object) -> None:
        self._state = self._state.model_copy(update=changes)
        self._app.status_feed.request_refresh()
