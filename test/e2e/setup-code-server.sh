#!/usr/bin/env bash
# Installs what the real-editor suite (test/e2e/run-code-server.ts) needs, on Debian as root,
# offline but for the npm registry and Debian's packages (../shared/notes/real-editor-tests.md):
#   - Debian's chromium (the browser playwright-core drives), ripgrep (code-server's search,
#     and the seed below), libkrb5-dev (code-server's native kerberos module builds from source);
#   - code-server 4.100.3 in test/e2e/code-server/ (its own lockfile, apart from the unit-test
#     install). Its @vscode/ripgrep postinstall downloads rg from GitHub unless the cache in the
#     system temp folder already holds the archive, so the cache is seeded from Debian's rg.
# Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")"

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
if ! command -v chromium >/dev/null || ! command -v rg >/dev/null || ! dpkg -s libkrb5-dev >/dev/null 2>&1; then
  $sudo apt-get update
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium ripgrep libkrb5-dev
fi

if [ ! -x code-server/node_modules/.bin/code-server ]; then
  tmp="$(node -p 'require("os").tmpdir()')"
  cache="$tmp/vscode-ripgrep-cache-1.15.11"
  archive="$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
  if [ ! -s "$archive" ]; then
    mkdir -p "$cache"
    work="$(mktemp -d)"
    cp "$(command -v rg)" "$work/rg"
    tar -czf "$archive" -C "$work" rg
    rm -rf "$work"
  fi
  (cd code-server && npm_config_unsafe_perm=true npm_config_yes=true npm ci --foreground-scripts --no-audit --no-fund)
fi
