#!/usr/bin/env bash
# The README's run command: installs what bfs needs, builds it in release mode and starts it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build -c release --product bfs
exec .build/release/bfs up "$@"
