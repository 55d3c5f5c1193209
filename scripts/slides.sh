#!/usr/bin/env bash
# Build the filled deck (<folder>/deck.md, written by `bihar deck`) into deck.html, deck.pdf and
# deck.pptx beside it with the pinned Marp CLI of presentation/node_modules and headless Chromium
# (CHROME_PATH, default: Debian's chromium). Usage: scripts/slides.sh [folder] [extra marp args]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
folder="$(cd "${1:-$root/presentation/build}" && pwd)"
shift || true
marp="$root/presentation/node_modules/.bin/marp"
[[ -x "$marp" ]] || { echo "slides: $marp is missing; run make slides-tools" >&2; exit 2; }
[[ -f "$folder/deck.md" ]] || { echo "slides: $folder/deck.md is missing; run bihar deck" >&2; exit 2; }
CHROME_PATH="${CHROME_PATH:-$(command -v chromium || true)}"
[[ -n "$CHROME_PATH" ]] || { echo "slides: no chromium; run make browser-tools" >&2; exit 2; }
export CHROME_PATH
cd "$folder"
for format in html pdf pptx; do
  rm -f "deck.$format"
  "$marp" --html --allow-local-files --no-stdin "$@" deck.md -o "deck.$format" 2>&1 | grep -vE '^\[  (INFO|WARN) \]' || true
  [[ -s "deck.$format" ]] || { echo "slides: deck.$format was not written" >&2; exit 1; }
done
echo "slides: $folder/deck.{html,pdf,pptx}" >&2
