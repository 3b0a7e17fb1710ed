"""The baseline for cold start and memory: a bare pygls 2 server over stdio that answers
``initialize`` (and ``shutdown``) and does nothing else. Same interpreter, same pygls.

``python bench/bare_server.py`` (standalone: imports nothing from MultiCodex).
"""

from __future__ import annotations

from pygls.lsp.server import LanguageServer


def main() -> None:
    LanguageServer("bare", "0").start_io()


if __name__ == "__main__":
    main()
