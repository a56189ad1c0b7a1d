#!/usr/bin/env bash
# Installs the Debian packages bfs builds and tests with. Idempotent: skips apt when all are present.
set -euo pipefail
pkgs=(libuv1-dev libzookeeper-mt-dev libhttp-parser-dev libsqlite3-dev libpq-dev
      zookeeper postgresql wrk nginx curl openssl procps chromium chromium-driver
      strace gcc)  # strace, gcc: Bench/store/run.sh (syscall counts, the allocation counter)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi
