#!/usr/bin/env bash
# Builds bench/memberlist-agent (the hashicorp/memberlist peer `npm run bench:peers` compares our
# sidecars with) through the Go module proxy, into the same cache as the local control plane.
#
# The memberlist version is pinned by bench/memberlist-agent/go.mod (and go.sum); the cache
# directory is keyed by that version and a hash of the agent's sources, so an edit rebuilds and
# an unchanged tree returns at once. bench/peers.ts runs this when the binary is missing.
#
# Output: $TOPOLOGY_CACHE_DIR/memberlist-agent-<version>-<hash>/memberlist-agent
# (default cache: ~/.cache/topology-operator). Prints the binary's path as its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/../bench/memberlist-agent"

log() { printf '[memberlist-agent build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null 2>&1 || die "Go is not installed; bench:peers builds its memberlist agent with it (Go 1.25 or newer, as bench/memberlist-agent/go.mod says)."

version="$(awk '$1 == "require" && $2 == "github.com/hashicorp/memberlist" {print $3}' "$src/go.mod")"
[[ -n "$version" ]] || die "bench/memberlist-agent/go.mod does not require github.com/hashicorp/memberlist on a single 'require' line"
hash="$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-12)"

cache_root="${TOPOLOGY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/topology-operator}"
dest="$cache_root/memberlist-agent-$version-$hash"
bin="$dest/memberlist-agent"

if [[ -x "$bin" ]]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache_root"
# One build of the agent at a time per cache: a second caller waits, then finds the binary.
exec 9>"$cache_root/.memberlist-agent.lock"
if ! flock -n 9; then
  log "another build is running; waiting for it"
  flock 9
fi
if [[ -x "$bin" ]]; then echo "$bin"; exit 0; fi

start=$(date +%s)
log "memberlist $version: building from $src"
mkdir -p "$dest"
(cd "$src" && GOFLAGS="-mod=mod" CGO_ENABLED=0 GOTOOLCHAIN=local \
  go build -trimpath -ldflags "-s -w" -o "$bin.partial" .) >&2
mv "$bin.partial" "$bin"
log "done in $(( $(date +%s) - start )) s"
echo "$bin"
