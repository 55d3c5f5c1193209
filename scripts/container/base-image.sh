#!/usr/bin/env bash
# Make the local stand-in for python:3.12-slim and import it into the running daemon:
# Debian bookworm (debootstrap --variant=minbase, mirror read from /etc/apt) with python3 (3.11)
# and python3-venv. The root file system is cached under $BIHAR_CACHE/base, outside the checkout,
# so clean checkouts and fresh daemons reuse it; only the first run pays for debootstrap.
#   base-image.sh   (needs DOCKER_HOST)   -> prints the image tag to pass as BASE_IMAGE
set -euo pipefail
# shellcheck source=scripts/container/common.sh
source "$(dirname "$0")/common.sh"

[[ -n "${DOCKER_HOST:-}" ]] || die "DOCKER_HOST is not set: start a daemon with dockerd.sh first"
SUITE=bookworm
PACKAGES=python3,python3-venv,ca-certificates
# Bump RECIPE when the steps below change: it names the cache entry and the image tag.
RECIPE=1

mirror() {
  # The first Debian mirror configured for apt (deb822 .sources or one-line .list).
  local uri
  uri="$(grep -h -m1 -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | head -n1 || true)"
  [[ -n "$uri" ]] || uri="$(grep -h -E '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    grep -m1 -E '/debian/?( |$)' | awk '{print $2}' || true)"
  [[ -n "$uri" ]] || die "no Debian mirror found in /etc/apt"
  echo "$uri"
}

key="$(echo "$SUITE $PACKAGES $RECIPE" | sha256sum | cut -c1-12)"
tag="bihar-base:$SUITE-python-$key"
rootfs="$BIHAR_CACHE/base/$SUITE-python-$key"

if "$DOCKER" image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag"
  exit 0
fi

mkdir -p "$BIHAR_CACHE/base"
exec 9>"$BIHAR_CACHE/base/.lock"
flock 9 # one debootstrap at a time, even from two checkouts
if [[ ! -f "$rootfs/.complete" ]]; then
  command -v debootstrap >/dev/null || die "debootstrap not found: run scripts/container/tools.sh"
  src="$(mirror)"
  log "debootstrap --variant=minbase $SUITE from $src (first run only; cached in $rootfs)"
  rm -rf "$rootfs" "$rootfs.tmp"
  start=$(date +%s)
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs.tmp" "$src" >"$BIHAR_CACHE/base/debootstrap.log" 2>&1 ||
    die "debootstrap failed: see $BIHAR_CACHE/base/debootstrap.log"
  # What an image does not need: package caches and lists, documentation, translations.
  rm -rf "$rootfs.tmp"/var/cache/apt/* "$rootfs.tmp"/var/lib/apt/lists/* "$rootfs.tmp"/usr/share/doc/* \
    "$rootfs.tmp"/usr/share/man/* "$rootfs.tmp"/usr/share/locale/* "$rootfs.tmp"/usr/share/info/*
  echo "$(($(date +%s) - start))" >"$rootfs.tmp/.debootstrap-seconds"
  touch "$rootfs.tmp/.complete"
  mv "$rootfs.tmp" "$rootfs"
fi
log "root file system $rootfs (debootstrap took $(cat "$rootfs/.debootstrap-seconds") s when made)"
# The host's trust store (it may hold a proxy's certificate authority that pip must accept);
# pip reads it through PIP_CERT. Only this local stand-in carries it, never the GitHub build.
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
tar -C "$rootfs" --exclude=./.complete --exclude=./.debootstrap-seconds -c . |
  "$DOCKER" import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["python3"]' \
    - "$tag" >/dev/null
log "imported $tag ($(du -sh "$rootfs" | cut -f1) root file system)"
echo "$tag"
