"""Where the command writes: results on stdout (text for people, or JSON with --json),
progress and problems on stderr. Colour only on a terminal and only without NO_COLOR."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TextIO

from pydantic import BaseModel

from multicodex.footer import FooterLine

Style = Literal["success", "info", "warning", "error", "dim", "muted", "bold", "accent"]

_ANSI: dict[str, str] = {
    "success": "32",
    "info": "36",
    "warning": "33",
    "error": "31",
    "dim": "2",
    "muted": "2",
    "bold": "1",
    "accent": "1;36",
}


def wants_colour(stream: TextIO, env: Mapping[str, str]) -> bool:
    if env.get("NO_COLOR") or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Output:
    """The command's two streams, in the mode the user asked for."""

    def __init__(
        self,
        json_mode: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if env is None else env
        self.json_mode = json_mode
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._colour_out = wants_colour(self.stdout, environ)
        self._colour_err = wants_colour(self.stderr, environ)

    # -- stdout -------------------------------------------------------------------------

    def line(self, text: str = "", style: Style | None = None) -> None:
        self.stdout.write(self._paint(text, style, self._colour_out) + "\n")
        self.stdout.flush()

    def lines(self, texts: Iterable[str]) -> None:
        for text in texts:
            self.line(text)

    def write(self, text: str, style: Style | None = None) -> None:
        """Text without a newline, flushed at once (streamed completions)."""
        self.stdout.write(self._paint(text, style, self._colour_out))
        self.stdout.flush()

    def footer(self, footer: FooterLine, prefix: str = "") -> None:
        """A footer line, its segments coloured by role and severity on a terminal."""
        if not self._colour_out:
            self.line(prefix + footer.text)
            return
        painted = "".join(
            self._paint(s.text, _segment_style(s.role, s.severity), True) for s in footer.segments
        )
        self.line(prefix + painted)

    def result(self, model: BaseModel) -> None:
        """The result model as JSON (every field present, as on the wire)."""
        self.stdout.write(model.model_dump_json(indent=2) + "\n")
        self.stdout.flush()

    def json(self, value: Any) -> None:
        self.stdout.write(json.dumps(value, indent=2) + "\n")
        self.stdout.flush()

    # -- stderr -------------------------------------------------------------------------

    def note(self, text: str, style: Style | None = None) -> None:
        self.stderr.write(self._paint(text, style, self._colour_err) + "\n")
        self.stderr.flush()

    def paint(self, text: str, style: Style | None) -> str:
        """``text`` styled for stdout (unchanged when stdout gets no colour)."""
        return self._paint(text, style, self._colour_out)

    @staticmethod
    def _paint(text: str, style: Style | None, enabled: bool) -> str:
        if not enabled or style is None or not text:
            return text
        return f"\x1b[{_ANSI[style]}m{text}\x1b[0m"


_SEVERITY_STYLE: dict[str, Style] = {
    "success": "success",
    "info": "info",
    "warning": "warning",
    "error": "error",
    "dim": "dim",
}


def _segment_style(role: str, severity: str | None) -> Style | None:
    if role in ("brand", "separator", "muted", "dim"):
        return "dim"
    return _SEVERITY_STYLE.get(severity or "")
