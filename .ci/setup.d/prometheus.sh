#!/usr/bin/env bash
# Installs Debian's prometheus for the analysis module's test against a real
# server (analysis/prometheus_server_test.go); does nothing when the binary
# is present. The test starts its own server on a free port of 127.0.0.1,
# so the service the package may start on :9090 is stopped and disabled.
set -euo pipefail
if command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then sudo=sudo; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus
if command -v systemctl >/dev/null 2>&1; then
  $sudo systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
