#!/usr/bin/env bash
# Start or stop a private dockerd whose socket, data, exec state and pid file all live in STATE_DIR.
#   dockerd.sh start STATE_DIR   -> waits until it answers; DOCKER_HOST=unix://STATE_DIR/docker.sock
#   dockerd.sh stop STATE_DIR    -> stops that daemon by its PID (never by name) and waits for it
# Fails loudly, with the daemon's log, when the daemon cannot start.
set -euo pipefail
# shellcheck source=scripts/container/common.sh
source "$(dirname "$0")/common.sh"

action="${1:?usage: dockerd.sh start|stop STATE_DIR}"
state="${2:?usage: dockerd.sh start|stop STATE_DIR}"
pidfile="$state/dockerd.pid"

unmount_state() {
  # dockerd leaves mounts under STATE_DIR (its default network namespace, and the data root when
  # start-up fails): unmount them, deepest first, so the folder can be removed.
  [[ -d "$state" ]] || return 0
  awk -v dir="$(realpath "$state")/" 'index($2, dir) == 1 {print $2}' /proc/mounts | sort -r |
    while read -r mounted; do umount "$mounted" || log "could not unmount $mounted"; done
}

start() {
  command -v dockerd >/dev/null || die "dockerd not found: run scripts/container/tools.sh (make container-tools)"
  mkdir -p "$state"
  if [[ -s "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    die "a dockerd is already running from $state (pid $(cat "$pidfile"))"
  fi
  # setsid: the daemon must not get the terminal's signals nor hold the caller's pipes open.
  setsid dockerd -H "unix://$state/docker.sock" --data-root "$state/data" --exec-root "$state/exec" \
    --pidfile "$pidfile" >"$state/dockerd.log" 2>&1 </dev/null &
  local launcher=$!
  for _ in $(seq 1 120); do
    if DOCKER_HOST="unix://$state/docker.sock" "$DOCKER" version >/dev/null 2>&1; then
      log "dockerd pid $(cat "$pidfile") answers on unix://$state/docker.sock"
      return 0
    fi
    if ! kill -0 "$launcher" 2>/dev/null; then
      tail -n 30 "$state/dockerd.log" >&2 || true
      unmount_state
      die "dockerd exited during start-up (log above, full log $state/dockerd.log)"
    fi
    sleep 0.5
  done
  tail -n 30 "$state/dockerd.log" >&2 || true
  [[ -s "$pidfile" ]] || echo "$launcher" >"$pidfile" # setsid execs dockerd: same PID
  stop
  die "dockerd did not answer within 60 s (log above)"
}

stop() {
  if [[ ! -s "$pidfile" ]]; then
    unmount_state
    log "no dockerd pid file in $state: nothing to stop"
    return 0
  fi
  local pid
  pid="$(cat "$pidfile")"
  terminate "$pid" dockerd 30
  rm -f "$pidfile"
  unmount_state
  log "dockerd $pid stopped"
}

case "$action" in
start) start ;;
stop) stop ;;
*) die "unknown action $action (start|stop)" ;;
esac
