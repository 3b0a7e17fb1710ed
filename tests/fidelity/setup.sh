#!/usr/bin/env bash
# Installs the real Codex CLI pinned in package-lock.json into tests/fidelity/node_modules,
# from the npm registry, unless the installed copy already matches the lock file.
# The fidelity tests call this once per session; it is safe to run by hand.
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOCK="$DIR/package-lock.json"
STAMP="$DIR/node_modules/.multicodex-lock.sha256"
CLI="$DIR/node_modules/.bin/codex"
WANTED_VERSION="codex-cli 0.169.0"

for tool in node npm sha256sum; do
  command -v "$tool" >/dev/null || { echo "fidelity setup: '$tool' is not on PATH" >&2; exit 1; }
done

lock_digest() { sha256sum "$LOCK" | cut -d' ' -f1; }

installed_version() { "$CLI" --version 2>/dev/null || true; }

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(lock_digest)" ] && [ -x "$CLI" ]; then
  exit 0
fi

echo "==> installing the Codex CLI for the fidelity tests (npm ci)" >&2
cd "$DIR"
# The CLI's native binary comes in a platform package that is an optional dependency:
# include optional dependencies even where the npm config leaves them out.
npm ci --no-audit --no-fund --include=optional >&2

version="$(installed_version)"
if [ "$version" != "$WANTED_VERSION" ]; then
  echo "fidelity setup: expected '$WANTED_VERSION' from $CLI, got '${version:-nothing}'" >&2
  echo "  (is the platform package for $(node -p 'process.platform + "-" + process.arch') installed?)" >&2
  exit 1
fi
lock_digest >"$STAMP"
