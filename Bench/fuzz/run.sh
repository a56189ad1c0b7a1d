#!/usr/bin/env bash
# Builds and runs one libFuzzer target for SECONDS, then prints its executions and crashes.
#
# Targets (Bench/fuzz/Sources/fuzz-TARGET):
#   http-request     BFSHTTP's request parser (http-parser plus the request-line judgement),
#                    whole input against the same input cut in two
#   multipart        MultipartParser, whole body against the body cut in three
#   storage-formats  needle header/body, index records, volume list, super block (first byte picks)
#
# The seeds in Tests/Fixtures/fuzz/TARGET stay untouched; what the fuzzer adds goes to
# Bench/fuzz/.corpus/TARGET (kept between runs, not committed). A crash stops the run and its
# input is written to Bench/fuzz/.artifacts/TARGET/ (replay: the binary with that file as argument).
# One job, nice'd: the machine is shared.
#
# Usage: Bench/fuzz/run.sh TARGET SECONDS [extra libFuzzer flags]
set -euo pipefail
TARGET=${1:?usage: run.sh TARGET SECONDS}
SECONDS_TO_RUN=${2:?usage: run.sh TARGET SECONDS}
shift 2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PKG=$ROOT/Bench/fuzz
SEEDS=$ROOT/Tests/Fixtures/fuzz/$TARGET
[ -d "$PKG/Sources/fuzz-$TARGET" ] || { echo "unknown target $TARGET (see $PKG/Sources)" >&2; exit 2; }
[ -d "$SEEDS" ] || { echo "no seeds in $SEEDS" >&2; exit 2; }

FLAGS=(-c release --package-path "$PKG" -Xswiftc -sanitize=fuzzer -Xswiftc -enable-testing)
swift build "${FLAGS[@]}" --product "fuzz-$TARGET" >"$PKG/.build-$TARGET.log" 2>&1 \
    || { cat "$PKG/.build-$TARGET.log"; exit 1; }
BIN=$(swift build "${FLAGS[@]}" --show-bin-path)/fuzz-$TARGET

CORPUS=$PKG/.corpus/$TARGET
ARTIFACTS=$PKG/.artifacts/$TARGET
mkdir -p "$CORPUS" "$ARTIFACTS"
LOG=$(mktemp /tmp/bfs-fuzz-$TARGET-XXXXXX.log)
before=$(ls "$ARTIFACTS" | wc -l)
set +e
# Swift's backtracer would take the trap signals libFuzzer needs to save the crashing input.
SWIFT_BACKTRACE=enable=no nice "$BIN" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$ARTIFACTS/" "$@" "$CORPUS" "$SEEDS" >"$LOG" 2>&1
status=$?
set -e
after=$(ls "$ARTIFACTS" | wc -l)
# Executions: the final stats line, or after a crash the last status line ("#N ...").
execs=$(awk -F': *' '/^stat::number_of_executed_units/ {print $2}' "$LOG" | tail -1)
[ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$LOG" | tail -1 | tr -d '#')
echo "target $TARGET: $execs executions in ${SECONDS_TO_RUN}s, $((after - before)) crashes, exit $status"
grep -E '^#[0-9]+ +DONE|cov:' "$LOG" | tail -1
if [ "$after" -gt "$before" ] || [ "$status" -ne 0 ]; then
    grep -E 'ERROR|Fatal error|Test unit written' "$LOG" | head -5
    echo "log: $LOG"
else
    rm -f "$LOG"
fi
