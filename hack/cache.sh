# Sourced by the scripts that build or install into the project's cache (build-control-plane.sh,
# build-buf.sh, python-env.sh): where the cache is, and one build at a time per cache.
# The caller sets LOG_PREFIX (say "buf build") before sourcing.

# $TOPOLOGY_CACHE_DIR, else ~/.cache/topology-operator.
cache_root="${TOPOLOGY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/topology-operator}"

log() { printf '[%s %s] %s\n' "${LOG_PREFIX:-build}" "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# lock_cache LOCKFILE: holds an exclusive lock on LOCKFILE (fd 9) for the rest of the script; a
# second caller waits for the first, and then should find the first one's stamp.
lock_cache() {
  mkdir -p "$(dirname "$1")"
  exec 9>"$1"
  if ! flock -n 9; then
    log "another build is running; waiting for it"
    flock 9
  fi
}
