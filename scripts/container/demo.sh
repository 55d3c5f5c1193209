#!/usr/bin/env bash
# Build the API image from this checkout on a private dockerd (debootstrap base) and serve it on
# 127.0.0.1:PORT until Ctrl-C; then the container and the daemon are stopped.
#   demo.sh [PORT=8000]
set -euo pipefail
# shellcheck source=scripts/container/common.sh
source "$(dirname "$0")/common.sh"
cd "$(dirname "$0")/../.."
port="${1:-8000}"
state="$(mktemp -d /tmp/bihar-dockerd-XXXXXX)"
here="$(dirname "$0")"

cleanup() {
  "$here/dockerd.sh" stop "$state" || true
  rm -rf "$state"
}
trap cleanup EXIT
"$here/dockerd.sh" start "$state"
export DOCKER_HOST="unix://$state/docker.sock"
base="$("$here/base-image.sh")"
[[ -f data/weather.db ]] || log "no data/weather.db: the image serves an empty database (run make demo-state)"
"$DOCKER" build --build-arg BASE_IMAGE="$base" --build-arg GIT_SHA="$(git rev-parse HEAD)" -t bihar-api:local .
log "serving on http://127.0.0.1:$port (docs at /docs); Ctrl-C stops it"
"$DOCKER" run --rm -p "127.0.0.1:$port:8000" bihar-api:local || true
