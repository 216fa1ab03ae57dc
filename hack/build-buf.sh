#!/usr/bin/env bash
# Builds buf (github.com/bufbuild/buf/cmd/buf, the wire-contract linter and breaking-change
# checker) from source through the Go module proxy, as hack/build-control-plane.sh builds the local
# control plane: same reasons (no prebuilt binaries can be downloaded here; the Go module proxy is
# reachable), same cache, pinned by hack/versions.env.
#
# Output: $TOPOLOGY_CACHE_DIR/buf-$BUF_VERSION/bin/buf (default cache: ~/.cache/topology-operator).
# Idempotent: a finished build is recorded by a stamp file and a second run returns at once.
# Prints the path of the buf binary as its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

LOG_PREFIX="buf build"
# shellcheck source=cache.sh
source "$here/cache.sh"

dest="$cache_root/buf-${BUF_VERSION}"
bin="$dest/bin"
stamp="$dest/.complete"

if [[ -f "$stamp" && -x "$bin/buf" ]]; then
  echo "$bin/buf"
  exit 0
fi

command -v go >/dev/null 2>&1 || die "Go is not installed, and buf is built from source with it: install Go 1.24 or newer (https://go.dev/dl) and rerun."

lock_cache "$cache_root/.buf-build.lock"
if [[ -f "$stamp" && -x "$bin/buf" ]]; then echo "$bin/buf"; exit 0; fi

rm -rf "$bin.partial"
mkdir -p "$bin.partial"
start=$(date +%s)
log "buf $BUF_VERSION: go install github.com/bufbuild/buf/cmd/buf@$BUF_VERSION (about a minute or two the first time)"
(cd "$dest" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= GOBIN="$bin.partial" \
  go install -trimpath -ldflags "-s -w" "github.com/bufbuild/buf/cmd/buf@$BUF_VERSION") >&2 \
  || die "could not build buf $BUF_VERSION (see the go output above)"
[[ -x "$bin.partial/buf" ]] || die "buf was not built"
rm -rf "$bin"
mv "$bin.partial" "$bin"
date -u +%Y-%m-%dT%H:%M:%SZ > "$stamp"
log "done in $(( $(date +%s) - start )) s"
echo "$bin/buf"
