#!/usr/bin/env bash
# Runs a command with the optional tools hidden, as on a bare machine that has only Node.js (and
# Deno from npm): a PATH of links to every program on the current PATH except flite, chattr,
# chromium, redis-server/redis-cli, sox and python (so ale-py, numpy and torch are gone too), and
# CHROMIUM pointing nowhere. Usage: scripts/without_optional_tools.sh deno task test
set -euo pipefail
hidden='^(flite.*|chattr|chromium.*|google-chrome.*|redis-server|redis-cli|sox|python[0-9.]*|python[0-9.]*-config|pip[0-9.]*)$'
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
  [ -d "$d" ] || continue
  for f in "$d"/*; do
    name=$(basename "$f")
    [ -x "$f" ] && [ ! -d "$f" ] || continue
    [[ "$name" =~ $hidden ]] && continue
    [ -e "$bin/$name" ] || ln -s "$f" "$bin/$name"
  done
done
for t in flite chattr chromium redis-server python3; do
  if PATH="$bin" command -v "$t" >/dev/null 2>&1; then
    echo "without_optional_tools: $t is still reachable" >&2
    exit 1
  fi
done
echo "without_optional_tools: flite, chattr, chromium, redis-server, sox and python hidden from PATH"
PATH="$bin" CHROMIUM=/nonexistent/chromium "$@"
