#!/usr/bin/env bash
# Start or stop Debian's docker-registry on 127.0.0.1:PORT, the local stand-in for ghcr.io.
#   registry.sh start STATE_DIR [PORT=5000]  -> waits until GET /v2/ answers
#   registry.sh stop STATE_DIR               -> stops it by its PID and waits for it
# Storage, configuration, log and pid file all live in STATE_DIR.
set -euo pipefail
# shellcheck source=scripts/container/common.sh
source "$(dirname "$0")/common.sh"

action="${1:?usage: registry.sh start|stop STATE_DIR [PORT]}"
state="${2:?usage: registry.sh start|stop STATE_DIR [PORT]}"
port="${3:-5000}"
pidfile="$state/registry.pid"

start() {
  command -v docker-registry >/dev/null || die "docker-registry not found: run scripts/container/tools.sh"
  mkdir -p "$state/storage"
  cat >"$state/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
YAML
  setsid docker-registry serve "$state/config.yml" >"$state/registry.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 60); do
    if python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/v2/', timeout=1)" 2>/dev/null; then
      log "registry pid $(cat "$pidfile") answers on 127.0.0.1:$port"
      return 0
    fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      tail -n 20 "$state/registry.log" >&2 || true
      die "docker-registry exited during start-up (is 127.0.0.1:$port taken?)"
    fi
    sleep 0.5
  done
  stop
  die "docker-registry did not answer on 127.0.0.1:$port within 30 s"
}

stop() {
  [[ -s "$pidfile" ]] || {
    log "no registry pid file in $state: nothing to stop"
    return 0
  }
  local pid
  pid="$(cat "$pidfile")"
  terminate "$pid" docker-registry 10
  rm -f "$pidfile"
  log "registry $pid stopped"
}

case "$action" in
start) start ;;
stop) stop ;;
*) die "unknown action $action (start|stop)" ;;
esac
