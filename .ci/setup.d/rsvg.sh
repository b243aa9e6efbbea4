#!/usr/bin/env bash
# Installs rsvg-convert (Debian's librsvg2-bin) for the test that renders
# the SVG timeline of package view; does nothing when it is present.
set -euo pipefail
if command -v rsvg-convert >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo=sudo; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends librsvg2-bin
