#!/usr/bin/env bash
# Install what the C runtime's build and tests use, from Debian, when it is missing: clang (a
# second compiler, warnings as errors), the aarch64 cross compiler and qemu-user (the camera's
# ARM CPU), libpng (the CLI's PNG reader), pkg-config, valgrind, and GNU time (the benchmark's
# peak-RSS measure).
set -euo pipefail

missing=()
for pair in clang:clang aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu qemu-aarch64:qemu-user \
  pkg-config:pkg-config valgrind:valgrind; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
[[ -f /usr/include/png.h ]] || missing+=(libpng-dev)
[[ -x /usr/bin/time ]] || missing+=(time)
[[ -d /usr/aarch64-linux-gnu/lib ]] || missing+=(libc6-dev-arm64-cross)
if ((${#missing[@]})); then
  as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! sudo -n true 2>/dev/null; then
      echo "edge: missing ${missing[*]}; install them as root: apt-get install ${missing[*]}" >&2
      exit 1
    fi
    as_root=(sudo -n)  # a CI runner's passwordless sudo
  fi
  echo "edge: apt-get install ${missing[*]}" >&2
  "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "edge: tools ready ($(gcc -dumpversion 2>/dev/null | sed 's/^/gcc /'), $(clang --version | head -1), $(aarch64-linux-gnu-gcc -dumpversion | sed 's/^/aarch64 gcc /'))" >&2
