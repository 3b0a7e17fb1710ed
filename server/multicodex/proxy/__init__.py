"""`multicodex proxy`: the Codex backend surface on 127.0.0.1, served by the pool, so the
official Codex CLI and IDE extension run on every account with failover they never see.

In-process: ``server = ProxyServer(app); await server.start()`` (``server.base_url``,
``server.secret``), then ``await server.aclose()`` (`multicodex.proxy.server`)."""
