#!/usr/bin/env bash
# Install what the demo page's browser tests and the slide deck's build use, from Debian, when it
# is missing: Chromium (headless) and the DejaVu fonts. A browser named by CHROME_PATH (say, the
# Google Chrome of a CI runner) is used as is.
set -euo pipefail

if [[ -n "${CHROME_PATH:-}" ]]; then
  [[ -x "$CHROME_PATH" ]] || { echo "browser: CHROME_PATH=$CHROME_PATH is not an executable" >&2; exit 1; }
  echo "browser: $("$CHROME_PATH" --version) ($CHROME_PATH)" >&2
  exit 0
fi
missing=()
command -v chromium >/dev/null || missing+=(chromium)
[[ -d /usr/share/fonts/truetype/dejavu ]] || missing+=(fonts-dejavu-core)
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "browser: missing ${missing[*]}; install them as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "browser: apt-get install ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "browser: $(chromium --version)" >&2
