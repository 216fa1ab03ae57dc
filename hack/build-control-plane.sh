#!/usr/bin/env bash
# Builds the local control plane from source through the Go module proxy:
# kube-apiserver, kube-controller-manager, kube-scheduler, etcd and helm.
#
# Why from source: no prebuilt Kubernetes binaries can be downloaded on the machines this project
# builds and tests on; the Go module proxy is reachable. Each binary is built in a throwaway
# wrapper module of its own (k8s.io/kubernetes has replace directives and v0.0.0 requirements on
# its staging modules, so `go install` cannot work; see shared notes).
#
# Output: $TOPOLOGY_CACHE_DIR/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION-helm-$HELM_VERSION/bin
# (default cache: ~/.cache/topology-operator). Idempotent: a finished build is recorded by a stamp
# file and a second run returns at once. Prints the bin directory as its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

LOG_PREFIX="control-plane build"
# shellcheck source=cache.sh
source "$here/cache.sh"

key="k8s-${KUBERNETES_VERSION}-etcd-${ETCD_VERSION}-helm-${HELM_VERSION}"
dest="$cache_root/$key"
bin="$dest/bin"
stamp="$dest/.complete"

if [[ -f "$stamp" ]]; then
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  die "Go is not installed, and the local control plane is built from source with it.
  Either install Go 1.24 or newer (https://go.dev/dl; Debian trixie's golang-go also works) and rerun,
  or use an existing cluster instead: export KUBECONFIG=/path/to/kubeconfig (kind, minikube, a real
  cluster) and run the tests again; nothing is built then. See docs/local-cluster.md."
fi
go_version="$(go env GOVERSION)"   # e.g. go1.26.8
go_minor="${go_version#go1.}"; go_minor="${go_minor%%.*}"
if [[ "$go_version" == go1.* && "$go_minor" =~ ^[0-9]+$ ]] && (( go_minor < 24 )); then
  die "Go $go_version is too old: Kubernetes $KUBERNETES_VERSION needs Go 1.24 or newer (https://go.dev/dl),
  or set KUBECONFIG to use an existing cluster instead (see docs/local-cluster.md)."
fi

lock_cache "$cache_root/.build.lock"
if [[ -f "$stamp" ]]; then echo "$bin"; exit 0; fi

work="$dest/work"
rm -rf "$work" "$bin.partial"
mkdir -p "$work" "$bin.partial"
export GOFLAGS="-mod=mod" CGO_ENABLED=0 GOTOOLCHAIN=local
start=$(date +%s)

# Turns `go build -v` / `go install -v` output into progress: one line per 100 packages compiled
# and per 50 modules downloaded. `-v` prints each package as a bare import path (no spaces, no
# colon); everything else — compiler diagnostics (`file.go:1:2: ...`), `# pkg` headers, go command
# errors — passes through unchanged. (Matching on words such as "error" would wrongly pass through
# packages like k8s.io/apimachinery/pkg/api/errors.)
progress() {
  local what="$1" n=0 dl=0 line
  while IFS= read -r line; do
    if [[ "$line" == "go: downloading "* || "$line" =~ ^go:\ (added|upgraded|downgraded|finding)\  ]]; then
      dl=$((dl + 1))
      if (( dl % 50 == 0 )); then log "$what: $dl modules downloaded"; fi
    elif [[ "$line" =~ ^[A-Za-z0-9._~+/-]+$ ]]; then
      n=$((n + 1))
      if (( n % 100 == 0 )); then log "$what: $n packages compiled"; fi
    else
      printf '%s\n' "$line" >&2
    fi
  done
  local summary="done"
  (( n > 0 )) && summary="$n packages compiled"
  (( dl > 0 )) && summary+=", $dl modules downloaded"
  log "$what: ${summary#done, }"
}

build_kubernetes() {
  local mod="$work/kubernetes" minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  local staging="v0.${KUBERNETES_VERSION#v1.}"
  mkdir -p "$mod"
  log "kubernetes $KUBERNETES_VERSION: resolving modules (staging modules at $staging)"
  (cd "$mod" && go mod init local/kube-build >/dev/null 2>&1)
  (cd "$mod" && go mod edit -require="k8s.io/kubernetes@$KUBERNETES_VERSION")
  local gomod
  gomod="$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$gomod" ]] || die "could not download k8s.io/kubernetes@$KUBERNETES_VERSION from the Go module proxy"
  # Every staging module is required at v0.0.0 by the kubernetes go.mod: pin each to its release.
  local m
  for m in $(awk '$1 ~ /^k8s\.io\// && $2 == "v0.0.0" {print $1}' "$gomod" | sort -u); do
    (cd "$mod" && go mod edit -replace="$m=$m@$staging")
  done
  cat > "$mod/tools.go" <<'GO'
//go:build tools

// Package tools pins the commands this wrapper module builds.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
GO
  (cd "$mod" && go mod tidy -e >/dev/null 2>&1 || true)
  (cd "$mod" && go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kube-scheduler@$KUBERNETES_VERSION" 2>&1) | progress "kubernetes modules"
  local date ld
  date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=$KUBERNETES_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld+=" -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  log "kubernetes $KUBERNETES_VERSION: compiling kube-apiserver, kube-controller-manager, kube-scheduler (several minutes)"
  (cd "$mod" && go build -v -trimpath -tags selinux,notest -ldflags "$ld" -o "$bin.partial/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler 2>&1) | progress kubernetes
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    [[ -x "$bin.partial/$b" ]] || die "$b was not built (see the compiler output above)"
  done
}

build_etcd() {
  local mod="$work/etcd"
  mkdir -p "$mod"
  log "etcd $ETCD_VERSION: resolving modules"
  (cd "$mod" && go mod init local/etcd-build >/dev/null 2>&1 \
     && go mod edit -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION" \
     && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" 2>&1) | progress "etcd modules"
  log "etcd $ETCD_VERSION: compiling"
  (cd "$mod" && go build -v -trimpath -ldflags "-s -w" -o "$bin.partial/etcd" go.etcd.io/etcd/server/v3 2>&1) | progress etcd
  [[ -x "$bin.partial/etcd" ]] || die "etcd was not built"
}

build_helm() {
  local minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  log "helm $HELM_VERSION: compiling"
  local ld="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  ld+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  ld+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$minor"
  (cd "$work" && GOFLAGS= GOBIN="$bin.partial" go install -v -trimpath -ldflags "$ld" \
      "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" 2>&1) | progress helm
  [[ -x "$bin.partial/helm" ]] || die "helm was not built"
}

build_etcd
build_helm
build_kubernetes

rm -rf "$bin"
mv "$bin.partial" "$bin"
rm -rf "$work"
date -u +%Y-%m-%dT%H:%M:%SZ > "$stamp"
log "done in $(( $(date +%s) - start )) s: $(ls "$bin" | tr '\n' ' ')"
echo "$bin"
