#!/usr/bin/env bash
# e2e: the elastic demo in small — the activity example under `brook local run` with
# `brook autoscale`, a load step that one instance cannot keep up with. Checks that the
# autoscaler added instances after the step (and not before), that the group caught up, that
# every user's count read back equals what was sent (brook demo exits non-zero otherwise),
# and that the run record and the HTML report were written.
# The report of this real run is then loaded in headless Chromium and its plots checked
# (src/demo/report_browser_check.py).
# Usage: elastic_demo_test.sh <path-to-brook> <path-to-activity> <report_browser_check.py>
set -euo pipefail
export LC_ALL=C
BROOK=$1
APP=$2
CHECK=$3
BS=${BROOK_TEST_BOOTSTRAP:-127.0.0.1:9092}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# One instance handles ~4000 records/s (250 us each); the step to 5000/s needs 2 (at the
# default 0.8 utilisation) and more while the backlog drains.
step_at=15
set +e
"$BROOK" --bootstrap-server "$BS" --log-level warn demo --app "$APP" --work-dir "$work/run" \
  --partitions 8 --work-us 250 --users 5000 --max-replicas 3 \
  --profile "low:1000:${step_at},high:5000:45,low:1000:20" \
  --sample-interval-ms 1000 --autoscale-interval-ms 2000 --scale-down-window-ms 10000 \
  --cooldown-ms 5000 --settle-timeout-ms 120000 | tee "$work/out.txt"
rc=${PIPESTATUS[0]}
set -e
if ((rc != 0)); then
  for f in "$work"/run/autoscale.log "$work"/run/runner.log "$work"/run/instances/*.log; do
    [[ -f "$f" ]] && { echo "---- $f (last 30 lines)"; tail -n 30 "$f"; }
  done
  fail "brook demo exited with $rc"
fi
grep -q "counts vs truth .*exact for all" "$work/out.txt" || fail "no exact-counts line in the summary"
[[ -s "$work/run/report.html" ]] || fail "no report.html"
grep -q 'id="brook-data"' "$work/run/report.html" || fail "report.html has no embedded data"

python3 - "$work/run/samples.json" "$step_at" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
step = float(sys.argv[2])
s = run["samples"]
assert len(s) > 30, f"only {len(s)} samples"
before = [x["replicas"] for x in s if x["t"] < step]
after = [x for x in s if x["t"] >= step]
assert before and max(before) == 1, f"scaled before the step: {before}"
up = [x for x in after if x["replicas"] >= 2]
assert up, "the autoscaler never added an instance after the load step"
first = up[0]["t"]
print(f"scaled to {up[0]['replicas']} replicas {first - step:.0f} s after the step; "
      f"max {max(x['replicas'] for x in s)}")
assert any(x.get("desired") and x["desired"] >= 2 for x in after), "no desired >= 2 seen"
assert s[-1]["lag"] == 0, f"final lag {s[-1]['lag']}"
assert any("autoscaler: 1 ->" in e["text"] for e in run["events"]), run["events"]
assert max(x["input_rate"] for x in after) > 3000, "the load step never showed in the input rate"
print("ok: ", {k: v for k, v in run["summary"]})
PY

chromium=$(command -v chromium || true)
[[ -n "$chromium" ]] || fail "chromium is not installed: run scripts/install-deps"
points=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["samples"]))' \
  "$work/run/samples.json")
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync
  --virtual-time-budget=5000)
timeout 60 "$chromium" "${flags[@]}" --user-data-dir="$work/chromium-dom" \
  --dump-dom "file://$work/run/report.html" >"$work/dom.html" 2>"$work/chromium.log" ||
  { cat "$work/chromium.log" >&2; fail "chromium --dump-dom failed"; }
timeout 60 "$chromium" "${flags[@]}" --user-data-dir="$work/chromium-png" \
  --window-size=1280,2400 --screenshot="$work/shot.png" "file://$work/run/report.html" \
  >/dev/null 2>>"$work/chromium.log" || { cat "$work/chromium.log" >&2; fail "screenshot failed"; }
python3 "$CHECK" dom "$work/dom.html" "$points" || fail "the report's plots did not render"
python3 "$CHECK" png "$work/shot.png" || fail "the report's screenshot shows no plots"
echo "elastic demo e2e: OK ($points samples plotted)"
