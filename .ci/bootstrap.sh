#!/usr/bin/env bash
# Creates (or reuses) the project's virtual environment in .venv and installs MultiCodex
# into it exactly as uv.lock pins it (`uv sync --locked`: a pyproject.toml the lock does not
# match is an error, never a fresh resolution, so a new release of a dependency cannot
# change what runs). uv itself, pinned below, comes from PyPI into .venv-tools/.
# Sourced by .ci/run, .ci/demo and bench/run with the extras to install, e.g. `dev`; with
# `dev` the environment holds exactly what the lock lists (anything else is removed),
# otherwise what is there already stays. Needs only python3 (3.11+) on PATH.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
TOOLS="$ROOT/.venv-tools"
UV_VERSION="0.13.9"
EXTRAS=("$@")
PY="${PYTHON:-python3}"
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "MultiCodex needs Python 3.11 or newer")'

bootstrap_fail() {  # what failed, its log: the log's tail and one line saying so
  tail -n 40 "$2" >&2
  echo "MultiCodex: $1 failed (full log: $2)" >&2
  exit 1
}

UV="$TOOLS/bin/uv"
if [ "$("$UV" --version 2>/dev/null | cut -d " " -f 2)" != "$UV_VERSION" ]; then
  echo "==> installing uv $UV_VERSION into .venv-tools" >&2
  [ -x "$TOOLS/bin/python" ] || "$PY" -m venv "$TOOLS"
  LOG="$TOOLS/install.log"
  "$TOOLS/bin/python" -m pip install --disable-pip-version-check "uv==$UV_VERSION" >"$LOG" 2>&1 ||
    bootstrap_fail "installing uv into .venv-tools" "$LOG"
fi

SYNC=(sync --locked --python "$PY" --no-python-downloads)
for extra in "${EXTRAS[@]}"; do SYNC+=(--extra "$extra"); done
[[ " ${EXTRAS[*]} " == *" dev "* ]] || SYNC+=(--inexact)
STAMP="$VENV/.synced"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "${SYNC[*]}" ] ||
  [ "$ROOT/uv.lock" -nt "$STAMP" ] || [ "$ROOT/pyproject.toml" -nt "$STAMP" ]; then
  echo "==> installing MultiCodex${EXTRAS[*]:+ with [${EXTRAS[*]}]} into .venv from uv.lock" >&2
  LOG="$TOOLS/sync.log"
  (cd "$ROOT" && UV_PROJECT_ENVIRONMENT="$VENV" "$UV" "${SYNC[@]}") >"$LOG" 2>&1 ||
    bootstrap_fail "installing into .venv from uv.lock" "$LOG"
  echo "${SYNC[*]}" >"$STAMP"
fi
unset -f bootstrap_fail
export PATH="$VENV/bin:$PATH"
