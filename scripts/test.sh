#!/usr/bin/env bash
# The README's test command: installs what the tests need, builds, and runs every test.
# Integration tests start their own ZooKeeper/PostgreSQL from the Debian packages installed here.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
swift build --build-tests
swift build -c release --product bfs
BFS_BINARY="$PWD/.build/release/bfs" swift test --no-parallel "$@"
