#!/usr/bin/env bash
# Builds the userData fuzzer (user_data_fuzz.cc + src/group/user_data.cc, src/protocol/codec.cc,
# src/common/status.cc) with clang++ -fsanitize=fuzzer,address,undefined into <build-dir>,
# seeds a corpus with valid encodings and runs it for BROOK_FUZZ_SECONDS (default 10). Exits
# non-zero on any crash or invariant violation, 77 (ctest SKIP) when clang++ is not installed
# or cannot link libFuzzer.
#
# Usage: run-fuzz.sh <build-dir>
# Env:   BROOK_FUZZ_SECONDS   fuzzing time in seconds (default 10)
#        BROOK_FUZZ_CXX       the clang++ to use (default: clang++ on PATH)
# The corpus grows in <build-dir>/corpus across runs; crash inputs land in
# <build-dir>/artifacts/ (reproduce: <build-dir>/user_data_fuzz <crash-file>).
set -euo pipefail

script=${BASH_SOURCE[0]}
[[ "$script" == */* ]] || script=./$script
here=$(cd "${script%/*}" && pwd)
root=$(cd "$here/../../.." && pwd)
build=${1:?usage: run-fuzz.sh <build-dir>}
seconds=${BROOK_FUZZ_SECONDS:-10}
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

# Small enough to compile in one command; rebuilt when any input is newer than the binary.
sources=("$here/user_data_fuzz.cc" "$root/src/group/user_data.cc" "$root/src/protocol/codec.cc"
  "$root/src/common/status.cc")
headers=("$root/src/group/user_data.h" "$root/src/protocol/codec.h" "$root/include/brook/status.h"
  "$root/include/brook/ids.h")
fuzzer=$build/user_data_fuzz
stale=0
[[ -x "$fuzzer" ]] || stale=1
for f in "${sources[@]}" "${headers[@]}" "$script"; do
  [[ "$f" -nt "$fuzzer" ]] && stale=1
done
if ((stale)); then
  start=$(date +%s)
  "$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
    -I"$root/include" -I"$root/src" "${sources[@]}" -o "$fuzzer.tmp" >"$build/build.log" 2>&1 || {
    cat "$build/build.log"
    echo "FAIL: building the fuzzer"
    exit 1
  }
  mv "$fuzzer.tmp" "$fuzzer"
  echo "fuzzer built in $(($(date +%s) - start)) s"
fi

corpus=$build/corpus
seeds=$build/seeds
artifacts=$build/artifacts
rm -rf "$seeds"
mkdir -p "$corpus" "$seeds" "$artifacts"

# libFuzzer only ever adds files to the corpus; keep it minimal so warm runs stay short.
if (($(find "$corpus" -type f | wc -l) > 2000)); then
  rm -rf "$corpus.min"
  mkdir -p "$corpus.min"
  if "$fuzzer" -merge=1 "$corpus.min" "$corpus" >"$build/merge.log" 2>&1; then
    rm -rf "$corpus"
    mv "$corpus.min" "$corpus"
  fi
fi

set +e
BROOK_FUZZ_SEED_DIR=$seeds "$fuzzer" \
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
