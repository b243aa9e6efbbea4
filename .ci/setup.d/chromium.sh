#!/usr/bin/env bash
# Installs Debian's chromium for the dashboard's browser test
# (dashboard/browser_test.go); does nothing when a browser is present.
set -euo pipefail
for b in chromium chromium-browser google-chrome google-chrome-stable headless-shell; do
  if command -v "$b" >/dev/null 2>&1; then exit 0; fi
done
sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo=sudo; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium
