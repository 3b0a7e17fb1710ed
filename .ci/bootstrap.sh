#!/usr/bin/env bash
# Creates (or reuses) the project's virtual environment in .venv and installs MultiCodex
# into it. Sourced by .ci/run and .ci/demo; needs only python3 (3.11+) on PATH.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${1:-}"
PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "MultiCodex needs Python 3.11 or newer")'
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtual environment in .venv" >&2
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.installed${EXTRAS:+-$EXTRAS}"
if [ ! -f "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
  echo "==> installing MultiCodex${EXTRAS:+ with [$EXTRAS]} into .venv" >&2
  LOG="$VENV/install.log"
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check -e "$ROOT${EXTRAS:+[$EXTRAS]}" >"$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    echo "MultiCodex: installing into .venv failed (full log: $LOG)" >&2
    exit 1
  fi
  touch "$STAMP"
fi
export PATH="$VENV/bin:$PATH"
