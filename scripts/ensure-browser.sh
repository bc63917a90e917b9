#!/usr/bin/env bash
# The 工作台's browser tests drive a real Chromium: Debian's package, installed here when it is missing and this
# machine can (root with apt-get, as CI runs), with Noto CJK so its screenshots show Chinese, not boxes. Writes
# its path to var/test-services.env; never skips silently.
set -u
cd "$(dirname "$0")/.."
mkdir -p var
found=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
cjk=$(fc-list :lang=zh 2>/dev/null | head -1)
if { [ -z "$found" ] || [ -z "$cjk" ]; } && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "chromium: installing Debian's chromium and fonts-noto-cjk for the browser tests …"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null 2>&1; } || true
  found=$(command -v chromium || true)
fi
if [ -n "$found" ]; then
  echo "chromium: $found"
  echo "CADREBOT_TEST_CHROMIUM=$found" >> var/test-services.env
else
  echo "chromium: not found, and it cannot be installed here. Install it (Debian: apt-get install -y chromium;"
  echo "  elsewhere any Chromium or Chrome) or set CADREBOT_TEST_CHROMIUM; the browser tests fail without it."
fi
