#!/usr/bin/env bash
# Installs what Convocore needs on a Debian machine, only what is missing.
#   run:  redis-server (the AppHost starts it when no container runtime answers), jq for the README examples
#   test: redis-server, chromium (browser tests) and sip-tester (sipp, for calls into a real Asterisk)
set -euo pipefail
mode=${1:-run}

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required (https://dot.net); 'dotnet' is not on PATH." >&2
  exit 1
fi

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v jq >/dev/null 2>&1 || need+=(jq)  # the README's curl examples read answers with jq
if [ "$mode" = test ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "Installing: ${need[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# The Debian package starts a system redis on 6379; ours run on their own ports, so it is left alone.
