#!/usr/bin/env bash
# Builds src/protocol/fuzz standalone with clang++ (-fsanitize=fuzzer,address,undefined) into
# <build-dir>, seeds a corpus with valid encodings of every message and runs the fuzzer for
# BROOK_FUZZ_SECONDS (default 20). Exits non-zero on any crash or invariant violation, 77
# (ctest SKIP) when clang++ is not installed or cannot link libFuzzer.
#
# Usage: run-fuzz.sh <build-dir>
# Env:   BROOK_FUZZ_SECONDS   fuzzing time in seconds (default 20)
#        BROOK_FUZZ_CXX       the clang++ to use (default: clang++ on PATH)
#        BROOK_FUZZ_JOBS      parallel compile jobs (default 2)
# The corpus grows in <build-dir>/corpus across runs; crash inputs land in
# <build-dir>/artifacts/ (reproduce: <build-dir>/response_fuzzer <crash-file>).
set -euo pipefail

script=${BASH_SOURCE[0]}
[[ "$script" == */* ]] || script=./$script
here=$(cd "${script%/*}" && pwd)
build=${1:?usage: run-fuzz.sh <build-dir>}
seconds=${BROOK_FUZZ_SECONDS:-20}
jobs=${BROOK_FUZZ_JOBS:-2}
cxx=${BROOK_FUZZ_CXX:-$(command -v clang++ || true)}

if [[ -z "$cxx" ]]; then
  echo "SKIP: clang++ not found"
  exit 77
fi
mkdir -p "$build"
build=$(cd "$build" && pwd)

# libFuzzer ships separately from clang on some systems: probe once.
if [[ ! -f "$build/.fuzzer-probe-ok" ]]; then
  probe_dir=$(mktemp -d)
  trap 'rm -rf "$probe_dir"' EXIT
  echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
    >"$probe_dir/probe.cc"
  if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe_dir/probe.cc" -o "$probe_dir/probe" \
      >"$probe_dir/log" 2>&1; then
    echo "SKIP: $cxx cannot link -fsanitize=fuzzer,address,undefined:"
    cat "$probe_dir/log"
    exit 77
  fi
  touch "$build/.fuzzer-probe-ok"
fi

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  generator=()
  if command -v ninja >/dev/null; then generator=(-G Ninja); fi
  cmake -S "$here" -B "$build" "${generator[@]}" -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_BUILD_TYPE= >"$build/configure.log" 2>&1 || {
    cat "$build/configure.log"
    exit 1
  }
fi
start=$(date +%s)
cmake --build "$build" -j "$jobs" >"$build/build.log" 2>&1 || {
  cat "$build/build.log"
  echo "FAIL: building the fuzzer"
  exit 1
}
echo "fuzzer built in $(($(date +%s) - start)) s"

corpus=$build/corpus
seeds=$build/seeds
artifacts=$build/artifacts
rm -rf "$seeds"
mkdir -p "$corpus" "$seeds" "$artifacts"

# libFuzzer only ever adds files to the corpus; keep it minimal so warm runs stay short.
if (($(find "$corpus" -type f | wc -l) > 2000)); then
  rm -rf "$corpus.min"
  mkdir -p "$corpus.min"
  if "$build/response_fuzzer" -merge=1 "$corpus.min" "$corpus" >"$build/merge.log" 2>&1; then
    rm -rf "$corpus"
    mv "$corpus.min" "$corpus"
  fi
fi

set +e
BROOK_FUZZ_SEED_DIR=$seeds "$build/response_fuzzer" \
  -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" \
  "$corpus" "$seeds" >"$build/fuzz.log" 2>&1
rc=$?
set -e

if [[ $rc -ne 0 ]]; then
  tail -n 80 "$build/fuzz.log"
  echo "FAIL: fuzzer exited with $rc (log: $build/fuzz.log, inputs: $artifacts)"
  exit 1
fi
summary='^(INFO: seed corpus|#[0-9]+[[:space:]]+(INITED|DONE))'
summary+='|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb|new_units_added)'
grep -E "$summary" "$build/fuzz.log" || true
echo "PASS: no crashes in $seconds s (corpus: $(find "$corpus" -type f | wc -l) files)"
