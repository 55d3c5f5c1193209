# Shared settings of the local docker toolchain; sourced by the other scripts, never run.
# shellcheck shell=bash
# shellcheck disable=SC2034  # DOCKER and BIHAR_CACHE are read by the scripts that source this file

# Debian's client: it drives the daemon's built-in BuildKit (a newer client on PATH may lack buildx).
DOCKER=/usr/bin/docker
export DOCKER_BUILDKIT=1
# Caches that outlive a checkout (base image root file system, npm linters).
BIHAR_CACHE="${BIHAR_CONTAINER_CACHE:-${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}/.cache/bihar}"

log() { echo "[container] $*" >&2; }
die() {
  echo "[container] ERROR: $*" >&2
  exit 1
}

# terminate PID NAME SECONDS: TERM, wait up to SECONDS for it to exit, then KILL.
terminate() {
  local pid="$1" name="$2" seconds="$3"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid"
  for _ in $(seq 1 $((seconds * 2))); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  log "$name $pid ignored TERM for $seconds s: KILL"
  kill -KILL "$pid" 2>/dev/null || true
}
