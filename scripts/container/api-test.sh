#!/usr/bin/env bash
# Run IMAGE, wait until Docker reports it healthy, run the API contract tests against it and
# check that GET /version answers SHA. The GitHub job `api-test` and the local suite both use it.
#   api-test.sh IMAGE SHA [PORT=8000]     (PYTHON: interpreter with pytest + httpx, default python3)
set -euo pipefail
# shellcheck source=scripts/container/common.sh
source "$(dirname "$0")/common.sh"
cd "$(dirname "$0")/../.."

image="${1:?usage: api-test.sh IMAGE SHA [PORT]}"
sha="${2:?usage: api-test.sh IMAGE SHA [PORT]}"
port="${3:-8000}"
python="${PYTHON:-python3}"
name="bihar-api-test-$$"
base="http://127.0.0.1:$port"

cleanup() {
  "$DOCKER" rm -f "$name" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() {
  "$DOCKER" logs --tail 40 "$name" >&2 || true
  die "$*"
}

# A 2 s health interval only shortens the wait; the check itself is the image's HEALTHCHECK.
"$DOCKER" run -d --name "$name" --health-interval=2s -p "127.0.0.1:$port:8000" "$image" >/dev/null
log "started $image as $name on $base"
status=""
for _ in $(seq 1 60); do
  status="$("$DOCKER" inspect --format '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$name")"
  [[ "$status" == healthy ]] && break
  [[ "$("$DOCKER" inspect --format '{{.State.Running}}' "$name")" == true ]] || fail "container exited"
  sleep 1
done
[[ "$status" == healthy ]] || fail "not healthy after 60 s (health: ${status:-none})"
log "healthy"

if [[ -d tests/contract ]]; then
  "$python" -m pytest tests/contract -p no:cacheprovider --base-url "$base" --expect-version "$sha"
else
  log "WARNING: tests/contract is missing: only /health and /version are checked"
  "$python" -c "import httpx, sys; r = httpx.get(sys.argv[1] + '/health'); r.raise_for_status()" "$base"
fi

version="$("$python" -c "import httpx, sys; print(httpx.get(sys.argv[1] + '/version').json())" "$base")"
[[ "$version" == "$sha" ]] || fail "/version answered '$version', expected '$sha'"
log "/version answers $sha"
