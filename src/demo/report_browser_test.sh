#!/usr/bin/env bash
# report_browser_test.sh <brook_demo_render_report> <run.json> <work-dir>
#
# Renders the run fixture with brook_demo_render_report, loads the report in headless
# Chromium and checks (report_browser_check.py) that the inline script drew all four plots:
# data-rendered="true", data-points = the number of samples, non-empty series paths, time
# ticks, and a screenshot that is not blank and shows every series colour. Also renders an
# empty run ("no data", data-points="0"), and self-tests that the checks fail for broken
# reports (script removed, embedded data corrupted).
#
# Needs Debian's `chromium` (scripts/install-deps installs it; CHROMIUM=<path> overrides):
# without it the test FAILS, it does not skip. Chromium runs as root in containers here,
# hence --no-sandbox, a fresh --user-data-dir per run, a timeout, and its stderr (D-Bus and
# GPU noise) kept in a file that is shown only when a run fails.
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 <brook_demo_render_report> <run.json> <work-dir>" >&2
  exit 2
fi
tool="$1"
fixture="$2"
work="$3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
check="$here/report_browser_check.py"
chromium="${CHROMIUM:-chromium}"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

command -v "$chromium" >/dev/null ||
  fail "'$chromium' not found: this test loads the demo report in headless Chromium." \
    "Install it with scripts/install-deps (Debian package 'chromium')."
command -v python3 >/dev/null || fail "python3 not found (run scripts/install-deps)"
[[ -x "$tool" ]] || fail "renderer $tool not built"

rm -rf "$work"
mkdir -p "$work"

# chromium_run <name> <chromium args...>: stdout to $work/<name>.out, stderr to
# $work/<name>.err. Fresh profile every time; 60 s at most.
chromium_run() {
  local name="$1" profile rc=0
  shift
  profile="$(mktemp -d "$work/profile.XXXXXX")"
  timeout 60 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$profile" \
    --virtual-time-budget=5000 "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  rm -rf "$profile"
  if ((rc != 0)); then
    tail -n 20 "$work/$name.err" >&2
    fail "chromium exited with $rc for $name (124 = timed out after 60 s)"
  fi
}

# check_report <name> <report.html> <expected points>: 0 when every check passes.
check_report() {
  local name="$1" html="$2" points="$3" ok=0
  chromium_run "$name.dom" --dump-dom "file://$html"
  [[ -s "$work/$name.dom.out" ]] || {
    tail -n 20 "$work/$name.dom.err" >&2
    fail "chromium dumped no DOM for $name"
  }
  python3 "$check" dom "$work/$name.dom.out" "$points" || ok=1
  if ((points > 0)); then
    chromium_run "$name.png" --window-size=1280,2000 --screenshot="$work/$name.png" \
      "file://$html"
    [[ -s "$work/$name.png" ]] || fail "chromium wrote no screenshot for $name"
    python3 "$check" png "$work/$name.png" || ok=1
  fi
  return "$ok"
}

points="$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["samples"]))' \
  "$fixture")"
((points > 0)) || fail "fixture $fixture has no samples"

echo "== rendering $fixture ($points samples)"
"$tool" "$fixture" "$work/report.html" || fail "brook_demo_render_report failed"
check_report report "$work/report.html" "$points" ||
  fail "the report's plots did not render (see above; files in $work)"
echo "ok: 4 plots rendered with $points points each; screenshot shows the series"

echo "== rendering an empty run"
python3 - "$fixture" "$work/empty.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
run["samples"], run["events"] = [], []
json.dump(run, open(sys.argv[2], "w"))
PY
"$tool" "$work/empty.json" "$work/empty.html" || fail "brook_demo_render_report failed (empty)"
check_report empty "$work/empty.html" 0 || fail "the empty report is wrong (see above)"
echo "ok: empty run shows 'no data' in 4 plots"

# Self-test: the checks must catch a report whose plots are not drawn.
echo "== self-test: broken reports must fail the checks"
python3 - "$work/report.html" "$work" <<'PY'
import re, sys
html = open(sys.argv[1], encoding="utf-8").read()
# The drawing script: the last <script> element (the first is the JSON data).
start = html.rindex("<script>")
end = html.index("</script>", start) + len("</script>")
open(sys.argv[2] + "/broken-noscript.html", "w", encoding="utf-8").write(html[:start] + html[end:])
# Data the script cannot parse.
broken = re.sub(r'(<script type="application/json" id="brook-data">)[^<]*',
                r"\1{not json", html, count=1)
assert broken != html
open(sys.argv[2] + "/broken-data.html", "w", encoding="utf-8").write(broken)
PY
for broken in broken-noscript broken-data; do
  if check_report "$broken" "$work/$broken.html" "$points" >"$work/$broken.check" 2>&1; then
    cat "$work/$broken.check" >&2
    fail "self-test: the checks passed on $broken.html, which draws no plots"
  fi
  echo "ok: $broken.html fails the checks, as it must:"
  grep -m 3 "check failed" "$work/$broken.check" | sed 's/^/  /'
done

echo "PASS"
