#!/usr/bin/env bash
# The whole suite (every crate's unit tests, then the integration, cap, rush and browser suites
# on both backends), run to the end even when something fails, and closed by one line that
# counts the whole run: cargo prints a "test result" line per test binary, and the last of
# them says nothing about the others.
set -uo pipefail
cd "$(dirname "$0")/.."

mkdir -p target
log=target/test-output.log
cargo test --workspace --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

read -r passed failed ignored binaries < <(awk '
    /^test result: / {
        for (i = 1; i <= NF; i++) {
            if ($(i+1) ~ /^passed/) p += $i
            if ($(i+1) ~ /^failed/) f += $i
            if ($(i+1) ~ /^ignored/) g += $i
        }
        b++
    }
    END { print p + 0, f + 0, g + 0, b + 0 }' "$log")
echo
if ((status == 0)); then
    echo "make test: ${passed} passed, ${failed} failed (${ignored} ignored) in ${binaries} test binaries"
else
    # A binary that did not build or crashed prints no result line: say so, whatever the counts.
    echo "make test: ${passed} passed, ${failed} failed (${ignored} ignored) in ${binaries} test binaries; FAILED (cargo exit ${status}, see ${log})"
fi
exit "$status"
