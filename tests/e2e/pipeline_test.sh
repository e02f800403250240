#!/usr/bin/env bash
# e2e: three brook processes at once against the real broker — a rate-limited producer, a
# pipe (consume -> uppercase -> produce) running while records arrive, and a final reader —
# and a SIGTERM'd consumer that must stop cleanly. Checks that every input record arrives
# transformed exactly once.
# Usage: pipeline_test.sh <path-to-brook>
set -euo pipefail
export LC_ALL=C
BROOK=$1
BS=${BROOK_TEST_BOOTSTRAP:-127.0.0.1:9092}
RUN="$$-$(date +%s)"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# exec: a background `brook ... &` is then the brook process itself, so $! can be signalled.
brook() { (exec "$BROOK" --bootstrap-server "$BS" --log-level warn "$@"); }
brook_bg() { exec "$BROOK" --bootstrap-server "$BS" --log-level warn "$@"; }

IN="e2e-in-$RUN"
OUT="e2e-out-$RUN"
N=40000
brook topics create --topic "$IN" --partitions 8
brook topics create --topic "$OUT" --partitions 8

# The pipe starts first and must pick up records as they are produced.
brook_bg pipe --from "$IN" --to "$OUT" --transform uppercase --idle-timeout-ms 8000 \
  --progress-ms 0 > "$work/pipe.out" &
pipe_pid=$!
pids+=("$pipe_pid")
brook produce --topic "$IN" --count "$N" --keys 1000 --value-size 40 --rate 20000 \
  --progress-ms 0 --json > "$work/produce.json"
grep -q "\"records\":$N" "$work/produce.json" || fail "producer: $(cat "$work/produce.json")"
wait "$pipe_pid" || fail "pipe exited with $?"
grep -q "^piped $N records" "$work/pipe.out" || fail "pipe: $(cat "$work/pipe.out")"

brook consume --topic "$IN" --until-end --format kv | tr '[:lower:]' '[:upper:]' | sort > "$work/want"
brook consume --topic "$OUT" --until-end --format kv | tr '[:lower:]' '[:upper:]' | sort > "$work/got"
[ "$(wc -l < "$work/got")" -eq "$N" ] || fail "output has $(wc -l < "$work/got") records, want $N"
cmp -s "$work/want" "$work/got" || fail "output records differ from the uppercased input"
# Keys were not uppercased by the pipe: compare keys exactly.
brook consume --topic "$OUT" --until-end --format kv | cut -f1 | sort | uniq -c | sort > "$work/kout"
brook consume --topic "$IN" --until-end --format kv | cut -f1 | sort | uniq -c | sort > "$work/kin"
cmp -s "$work/kin" "$work/kout" || fail "per-key record counts differ between input and output"

# A consumer with no stop condition stops cleanly on SIGTERM (the Kubernetes stop signal).
brook_bg consume --topic "$OUT" --format none --count > "$work/term.out" &
term_pid=$!
pids+=("$term_pid")
sleep 3
kill -TERM "$term_pid"
for _ in $(seq 1 100); do kill -0 "$term_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$term_pid" 2>/dev/null && fail "consume did not stop within 10 s of SIGTERM"
wait "$term_pid" || fail "consume exited with $? after SIGTERM"
grep -q "^consumed $N records" "$work/term.out" || fail "SIGTERM'd consumer: $(cat "$work/term.out")"
echo "e2e pipeline: all checks passed"
