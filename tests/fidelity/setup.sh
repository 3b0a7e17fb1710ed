#!/usr/bin/env bash
# Installs the real Codex CLIs pinned in package-lock.json (0.169.1 as codex-0169, 0.171.0 as
# codex-0171, each with its own platform binary) into tests/fidelity/node_modules, from the
# npm registry, unless the installed copies already match the lock file.
# The fidelity tests call this once per session; it is safe to run by hand.
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOCK="$DIR/package-lock.json"
STAMP="$DIR/node_modules/.multicodex-lock.sha256"
# Each line: the package's name in node_modules, then the version its CLI must report.
WANTED=(
  "codex-0169 codex-cli 0.169.1"
  "codex-0171 codex-cli 0.171.0"
)

for tool in node npm sha256sum; do
  command -v "$tool" >/dev/null || { echo "fidelity setup: '$tool' is not on PATH" >&2; exit 1; }
done

lock_digest() { sha256sum "$LOCK" | cut -d' ' -f1; }

cli_of() { echo "$DIR/node_modules/$1/bin/codex.js"; }

all_clis_present() {
  local entry
  for entry in "${WANTED[@]}"; do
    [ -x "$(cli_of "${entry%% *}")" ] || return 1
  done
}

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(lock_digest)" ] && all_clis_present; then
  exit 0
fi

echo "==> installing the Codex CLIs for the fidelity tests (npm ci)" >&2
cd "$DIR"
# The CLI's native binary comes in a platform package that is an optional dependency:
# include optional dependencies even where the npm config leaves them out.
npm ci --no-audit --no-fund --include=optional >&2

for entry in "${WANTED[@]}"; do
  package="${entry%% *}"
  wanted_version="${entry#* }"
  cli="$(cli_of "$package")"
  version="$("$cli" --version 2>/dev/null || true)"
  if [ "$version" != "$wanted_version" ]; then
    echo "fidelity setup: expected '$wanted_version' from $cli, got '${version:-nothing}'" >&2
    echo "  (is the platform package for $(node -p 'process.platform + "-" + process.arch') installed?)" >&2
    exit 1
  fi
done
lock_digest >"$STAMP"
