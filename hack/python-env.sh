#!/usr/bin/env bash
# The Python environment of examples/python: a venv with the pinned grpcio, grpcio-tools and
# protobuf of examples/python/requirements.txt from PyPI, cached in
# $TOPOLOGY_CACHE_DIR/python/venv-<hash of requirements.txt> (default cache:
# ~/.cache/topology-operator), then the Python stubs of proto/ generated into
# examples/python/gen/ (git-ignored: generated from the contract at every run, so they never go
# stale; grpcio-tools' protoc takes well under a second).
#
# Idempotent: a finished venv is recorded by a stamp file and is reused. Prints the venv's python
# as its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
example="$root/examples/python"
LOG_PREFIX="python env"
# shellcheck source=cache.sh
source "$here/cache.sh"

command -v python3 >/dev/null 2>&1 || die "python3 is not installed: examples/python needs Python 3.10 or newer."
key="$(sha256sum "$example/requirements.txt" | cut -c1-12)"
venv="$cache_root/python/venv-$key"
stamp="$venv/.complete"

if [[ ! -f "$stamp" ]]; then
  lock_cache "$cache_root/python/.install.lock"
  if [[ ! -f "$stamp" ]]; then
    start=$(date +%s)
    rm -rf "$venv"
    log "creating $venv ($(python3 --version))"
    python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$example/requirements.txt" >&2 \
      || die "could not install examples/python/requirements.txt from PyPI (see pip's output above)"
    date -u +%Y-%m-%dT%H:%M:%SZ > "$stamp"
    log "venv ready in $(( $(date +%s) - start )) s"
  fi
fi

gen="$example/gen"
rm -rf "$gen.partial"
mkdir -p "$gen.partial"
"$venv/bin/python" -m grpc_tools.protoc -I"$root/proto" --python_out="$gen.partial" --pyi_out="$gen.partial" \
  --grpc_python_out="$gen.partial" "$root/proto/topology/v1/overlay.proto" >&2 \
  || die "grpcio-tools could not generate the stubs of proto/topology/v1/overlay.proto"
rm -rf "$gen"
mv "$gen.partial" "$gen"
echo "$venv/bin/python"
