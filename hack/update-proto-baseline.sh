#!/usr/bin/env bash
# Writes proto/buf-baseline.binpb: the buf image of the wire contract (proto/) at a git ref, the
# "last released contract" that `buf breaking` (test/unit/proto/buf-contract.test.ts) compares the
# working tree against. Committed, so the check works on a clean clone with no other branch or tag.
#
# Run it when a contract is released (default ref: HEAD), and commit the result:
#   bash hack/update-proto-baseline.sh [REF]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
ref="${1:-HEAD}"
buf="$(bash "$here/build-buf.sh")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git -C "$root" archive "$ref" proto | tar -x -C "$tmp"
rm -f "$tmp/proto/buf-baseline.binpb"
(cd "$tmp/proto" && "$buf" build --exclude-source-info -o "$root/proto/buf-baseline.binpb")
printf 'proto/buf-baseline.binpb: the contract at %s (%s)\n' "$ref" "$(git -C "$root" rev-parse --short "$ref")" >&2
