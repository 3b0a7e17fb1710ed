"""Reading the terminal without blocking the event loop: a daemon thread reads, so Ctrl-C
(which cancels the command) and the end of the process are never held up by a read that
is still waiting."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from typing import TextIO

_open_prompts: list[str] = []


def end_open_prompt() -> None:
    """End a prompt line left open (input ended or Ctrl-C), so the next message starts on
    a line of its own."""
    if _open_prompts:
        _open_prompts.clear()
        sys.stderr.write("\n")
        sys.stderr.flush()


async def read_line(prompt: str, stream: TextIO | None = None) -> str | None:
    """One line from ``stream`` (stdin) without its newline; None at end of input. The
    prompt goes to stderr, so stdout keeps only results."""
    source = stream or sys.stdin
    if prompt:
        sys.stderr.write(prompt)
        sys.stderr.flush()
        _open_prompts.append(prompt)
    line = await _read_in_thread(source.readline)
    if line:
        _open_prompts.clear()
        return line.rstrip("\r\n")
    end_open_prompt()
    return None


async def read_all(stream: TextIO | None = None) -> str:
    """Everything up to the end of input."""
    source = stream or sys.stdin
    return await _read_in_thread(source.read)


async def _read_in_thread(read: Callable[[], str]) -> str:
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def deliver(text: str) -> None:
        if not answer.done():
            answer.set_result(text)

    def reader() -> None:
        try:
            text = read()
        except (OSError, ValueError):
            text = ""
        try:
            loop.call_soon_threadsafe(deliver, text)
        except RuntimeError:  # the command ended (Ctrl-C) before the input came
            return

    threading.Thread(target=reader, name="multicodex-stdin", daemon=True).start()
    return await answer


def stdin_is_terminal() -> bool:
    isatty = getattr(sys.stdin, "isatty", None)
    return bool(isatty and isatty())


async def confirm(question: str) -> bool:
    """Ask a yes/no question on the terminal; anything but y/yes is no."""
    answer = await read_line(f"{question} [y/N] ")
    return answer is not None and answer.strip().lower() in ("y", "yes")
