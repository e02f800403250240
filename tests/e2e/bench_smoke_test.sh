#!/usr/bin/env bash
# e2e: the whole benchmark harness (bench/run, issue 7) in small, so it cannot rot: every part
# (throughput of the four topologies, raw consume/produce limits, restore, the elastic
# scenarios and the rolling restart) for brook and the real Kafka Streams peer, with tiny
# sizes. Checks that every figure was produced (bench_smoke_check.py), never its value:
# performance is measured in bench/, not asserted in tests.
# Usage: bench_smoke_test.sh <brook_bench_app> <brook CLI>
set -euo pipefail
export LC_ALL=C
APP=$1
CLI=$2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
BS=${BROOK_TEST_BOOTSTRAP:-127.0.0.1:9092}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

set +e
"$root/bench/run" --quick --bootstrap "$BS" --bench-app "$APP" --brook-cli "$CLI" \
  --out "$work/report.md" --json-out "$work/figures.json" 2>&1 | tee "$work/run.log"
rc=${PIPESTATUS[0]}
set -e
if ((rc != 0)); then
  echo "FAIL: bench/run --quick exited with $rc" >&2
  exit 1
fi
python3 "$here/bench_smoke_check.py" "$work/figures.json" "$work/report.md"
