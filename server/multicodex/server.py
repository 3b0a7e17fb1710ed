"""``multicodex serve``: the MultiCodex JSON-RPC server over stdio (pygls 2).

The server translates: each MultiCodex method registered by the application (see
`multicodex.app.registry`) is served as a pygls feature that validates its params with the
declared model and runs the handler; domain errors become their protocol codes, anything
unexpected an INTERNAL_ERROR with an id. Status changes, completion deltas and login
progress are pushed as notifications. stdout carries frames and nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from lsprotocol.converters import get_converter
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from multicodex import __version__, event_loop, heap
from multicodex.logsetup import configure_logging, set_level
from multicodex.protocol_names import Method, Notification
from multicodex.rpc.errors import internal_error, rpc_error
from multicodex.rpc.framing import Frame
from multicodex.rpc.lsp import MultiCodexProtocol
from multicodex.rpc.output import OutputLimits, WireOutput
from multicodex.rpc.transport import claim_stdio, start_reading
from multicodex.rpc.writer import CoalescingWriter
from multicodex.store.errors import StoreError

if TYPE_CHECKING:  # the application is imported when it is first needed: see ensure_app
    from multicodex.app import App, AppError, ClientHooks
    from multicodex.pool.reset_credits import ResetCreditOffer
    from multicodex.protocol import InitializationOptions, ProxyOptions
    from multicodex.proxy.in_process import InProcessProxy

log = logging.getLogger(__name__)

SERVER_NAME = "multicodex"
EXIT_CLIENT_NOT_READING = 3
RESET_CREDIT_QUESTION_SECONDS = 600.0
"""Unanswered this long, the question to spend a reset credit counts as "Wait"."""
"""The exit code when the client stopped reading the server's output (see rpc.output)."""


class MultiCodexServer(LanguageServer):
    protocol: MultiCodexProtocol

    def __init__(self) -> None:
        super().__init__(
            SERVER_NAME,
            __version__,
            protocol_cls=MultiCodexProtocol,
            converter_factory=get_converter,
            text_document_sync_kind=types.TextDocumentSyncKind.None_,
        )
        self.app: App | None = None
        self.options: InitializationOptions | None = None
        """What ``initialize`` asked for; the application is built from it on first use."""
        self.raw_options: Any = None
        """``initializationOptions`` as sent, until `ensure_options` validates them."""
        self.initialize_received = False
        self.default_home: str | None = None
        """``serve --home``: used when initializationOptions name no home."""
        self.startup_warnings: list[str] = []
        self.app_failure: AppError | None = None
        """Why the application could not be built (a store that cannot be opened)."""
        self.proxy: InProcessProxy | None = None
        """The Codex CLI proxy, when initializationOptions.proxy enables it."""
        self._proxy_starting: asyncio.Future[None] | None = None
        self.protocol.run_method = lambda method, params: self.dispatch(Method(method), params)
        _register_lifecycle(self)

    # -- serving ----------------------------------------------------------------------------

    async def serve(self, stdin: int, stdout: int) -> int:
        """Answer frames until ``exit``, the end of stdin, or a client that stopped
        reading ``stdout`` (a file descriptor); the process exit code."""
        loop = asyncio.get_running_loop()
        finished: asyncio.Future[None] = loop.create_future()

        def finish() -> None:
            if not finished.done():
                finished.set_result(None)

        limits = OutputLimits.from_env()
        output = WireOutput(stdout, limits, lambda: loop.call_soon_threadsafe(finish))
        writer = CoalescingWriter(output)
        self.protocol.set_writer(writer)

        def deliver(frame: Frame | None) -> None:
            if finished.done():
                return
            if frame is None:
                finished.set_result(None)
            elif isinstance(frame, bytes):
                self.protocol.handle_frame(frame)
                if self.protocol.exit_requested:
                    finished.set_result(None)
            else:
                self.protocol.reject(frame)

        reading = start_reading(stdin, loop, deliver)
        stop_on_signals(finished)
        try:
            await finished
        finally:
            reading.close()
            await self.stop_proxy()
            if self.app is not None:
                await self.app.aclose()
            writer.close()
        if output.gave_up:
            return EXIT_CLIENT_NOT_READING
        return 1 if self.protocol.exit_requested and not self.protocol.shutdown_received else 0

    def start_proxy(self, app: App, options: ProxyOptions) -> None:
        """Serve the pool to the Codex CLI from this process; its state is in the status."""
        from multicodex.proxy.in_process import InProcessProxy  # uvicorn: only when enabled

        self.proxy = InProcessProxy(app, options)
        self._proxy_starting = asyncio.ensure_future(self.proxy.start())

    async def stop_proxy(self) -> None:
        if self._proxy_starting is not None:
            await asyncio.gather(self._proxy_starting, return_exceptions=True)
        if self.proxy is not None:
            await self.proxy.aclose()

    def report_server_error(self, error: Exception, source: Any) -> None:
        """pygls would show these as toasts; they only go to the log."""
        log.warning("server error (%s): %s", getattr(source, "__name__", source), type(error))

    # -- what the application pushes --------------------------------------------------------

    def ensure_app(self) -> App | None:
        """The application, built on first use after ``initialize``.

        Importing it (HTTP client, pool, auth, store) takes longer than everything else
        the server loads, so ``initialize`` is answered first and the application is
        built when ``initialized`` (or the first request) arrives.
        """
        self.ensure_options()
        if self.app is None and self.options is not None and self.app_failure is None:
            from multicodex.app import App
            from multicodex.app.errors import store_unopened

            try:
                self.app = App(self.options, hooks=self.client_hooks())
            except StoreError as exc:  # e.g. a home that is a file: said to every request
                self.app_failure = store_unopened(exc)
                log.warning("%s", exc)
        return self.app

    def ensure_options(self) -> None:
        """Validate what ``initialize`` sent (once, after answering it: validation loads
        the wire models). Invalid options are replaced by the defaults, with a warning
        shown on ``initialized``."""
        if self.options is not None or not self.initialize_received:
            return
        from multicodex.rpc.options import read_options

        options, warning = read_options(self.raw_options)
        if warning is not None:
            self.startup_warnings.append(warning)
        set_level(options.log_level)
        if options.home is None and self.default_home is not None:
            options = options.model_copy(update={"home": self.default_home})
        self.options = options

    def client_hooks(self) -> ClientHooks:
        from multicodex.app import ClientHooks

        return ClientHooks(
            # As JSON bytes: the status grows with the pool, and its dicts, built for every
            # account and freed at once, left the heap fragmented (5 MiB of 1,000 accounts).
            status=lambda s: self.protocol.notify_json(
                Notification.STATUS, s.model_dump_json().encode()
            ),
            login_progress=lambda p: self.protocol.notify(
                Notification.LOGIN_PROGRESS, p.model_dump(mode="json")
            ),
            completion_delta=lambda d: self.protocol.notify_json(
                Notification.COMPLETION_DELTA, d.model_dump_json().encode()
            ),
            completion_delta_json=lambda params: self.protocol.notify_json_many(
                Notification.COMPLETION_DELTA, params
            ),
            usage_notice=lambda n: self.protocol.notify(
                Notification.USAGE_NOTICE, n.model_dump(mode="json")
            ),
            open_url=self.open_url,
            confirm_reset_credit=self.confirm_reset_credit,
        )

    def open_url(self, url: str) -> bool:
        """Ask the editor to open ``url`` in the browser, without waiting for its answer."""
        if not _supports_show_document(self.protocol.client_capabilities):
            return False
        self.protocol.send_request(
            types.WINDOW_SHOW_DOCUMENT, types.ShowDocumentParams(uri=url, external=True)
        )
        return True

    async def confirm_reset_credit(self, offer: ResetCreditOffer) -> bool:
        """Ask the editor (``window/showMessageRequest``) whether to spend a reset credit;
        only the spend button spends: "Wait", a dismissal or no answer do not."""
        spend = offer.spend_label
        future = self.protocol.send_request(
            types.WINDOW_SHOW_MESSAGE_REQUEST,
            types.ShowMessageRequestParams(
                type=types.MessageType.Warning,
                message=offer.question(),
                actions=[
                    types.MessageActionItem(title=spend),
                    types.MessageActionItem(title=offer.WAIT_LABEL),
                ],
            ),
        )
        try:
            async with asyncio.timeout(RESET_CREDIT_QUESTION_SECONDS):
                answer = await asyncio.wrap_future(future)
        except (TimeoutError, JsonRpcException):
            return False
        title = answer.get("title") if isinstance(answer, dict) else getattr(answer, "title", None)
        return title == spend

    def show_warning(self, message: str) -> None:
        self.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Warning, message=message)
        )

    # -- one MultiCodex method ----------------------------------------------------------------

    async def dispatch(self, method: Method, params: Any) -> Any:
        app = self.ensure_app()
        if app is None and self.app_failure is not None:
            raise rpc_error(self.app_failure)
        if app is None:
            raise internal_error(RuntimeError("no application"), method.value)
        from multicodex.app import AppError

        try:
            return await app.call(method, params)
        except AppError as exc:
            raise rpc_error(exc) from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            raise internal_error(exc, method.value) from None


def _register_lifecycle(server: MultiCodexServer) -> None:
    server.feature(types.INITIALIZE)(_on_initialize)
    server.feature(types.INITIALIZED)(_on_initialized)
    server.feature(types.SHUTDOWN)(_on_shutdown)


async def _on_initialize(ls: MultiCodexServer, params: types.InitializeParams) -> None:
    ls.raw_options = params.initialization_options
    ls.initialize_received = True


def _on_initialized(ls: MultiCodexServer, _params: Any) -> None:
    ls.ensure_options()
    for warning in ls.startup_warnings:
        ls.show_warning(warning)
    app = ls.ensure_app()
    if app is None:
        if ls.app_failure is not None:
            ls.show_warning(f"MultiCodex: {ls.app_failure.message}")
        return
    problem = app.store_problem()  # a corrupt store: where it went and how to recover
    if problem is not None:
        ls.show_warning(f"MultiCodex: {problem.message}")
    _show_store_repairs(ls, app)
    _show_workspace_problem(ls, app)
    app.pick_up_pi_login_soon()  # as the original did each session: pi's login, if new
    app.start_status_updates()
    proxy = ls.options.proxy if ls.options is not None else None
    if proxy is not None and proxy.enabled:
        ls.start_proxy(app, proxy)
    # After the first status has gone out (its write is already queued): not behind a
    # full collection.
    asyncio.get_running_loop().call_soon(heap.settle)


def _show_workspace_problem(ls: MultiCodexServer, app: App) -> None:
    """A workspace account that names no account in the pool: said once, at start."""
    with contextlib.suppress(Exception):  # an unusable store is reported on its own
        problem = app.workspace.problem()
        if problem is not None:
            ls.show_warning(f"MultiCodex: {problem}")


def _show_store_repairs(ls: MultiCodexServer, app: App) -> None:
    """A store used without its invalid parts: one message says what they were (each is
    also in the log)."""
    from multicodex.app.store_repairs import repairs_warning

    warning = repairs_warning(app.store.path, app.store.repairs_found())
    if warning is not None:
        ls.show_warning(f"MultiCodex: {warning}")


async def _on_shutdown(ls: MultiCodexServer, _params: Any) -> None:
    if ls.app is not None:
        await ls.app.cancel_logins()


def stop_on_signals(finished: asyncio.Future[None]) -> None:
    """SIGTERM and SIGINT end serving the way ``exit`` does, so token refreshes in flight
    are saved first; a second signal ends the process at once."""
    loop = asyncio.get_running_loop()

    def stop(signum: int) -> None:
        log.warning("%s received: finishing", signal.Signals(signum).name)
        for each in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(each)
            signal.signal(each, signal.SIG_DFL)
        if not finished.done():
            finished.set_result(None)

    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on every platform
            loop.add_signal_handler(signum, stop, signum)


def _supports_show_document(capabilities: types.ClientCapabilities | None) -> bool:
    window = capabilities.window if capabilities is not None else None
    show = window.show_document if window is not None else None
    return bool(show is not None and show.support)


def main(args: argparse.Namespace | None = None) -> int:
    """Serve on stdin/stdout until ``exit`` or end of input (``--stdio`` is accepted)."""
    home = getattr(args, "home", None)
    stdin, stdout = claim_stdio()
    configure_logging()
    server = MultiCodexServer()
    server.default_home = str(home) if home else None
    return event_loop.run(server.serve(stdin, stdout))


if __name__ == "__main__":
    raise SystemExit(main())
