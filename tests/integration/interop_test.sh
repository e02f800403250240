#!/usr/bin/env bash
# Interop with Kafka's own tools (integration; real broker):
#  1. kafka-topics describes the topic brook created;
#  2. Kafka's console consumer reads exactly the records brook produced (key and value);
#  3. Kafka's consumer-perf counts them;
#  4. Java's producer and brook's producer put the same key on the same partition;
#  5. brook reads what Kafka's producer-perf wrote.
# Usage: interop_test.sh <path-to-brook>
set -euo pipefail
export LC_ALL=C
BROOK=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BS=${BROOK_TEST_BOOTSTRAP:-127.0.0.1:9092}
KT="$ROOT/scripts/kafka-tool"
RUN="$$-$(date +%s)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
brook() { "$BROOK" --bootstrap-server "$BS" --log-level warn "$@"; }

T="it-interop-$RUN"
brook topics create --topic "$T" --partitions 4
brook produce --topic "$T" --count 10000 --keys 300 --value-size 50 --progress-ms 0

echo "== 1. kafka-topics --describe"
"$KT" topics --bootstrap-server "$BS" --describe --topic "$T" | tee "$work/describe"
grep -q "PartitionCount: 4" "$work/describe" || fail "kafka-topics does not show 4 partitions for $T"

echo "== 2. console consumer reads what brook wrote"
"$KT" console-consumer --bootstrap-server "$BS" --topic "$T" --from-beginning \
  --max-messages 10000 --timeout-ms 60000 \
  --formatter-property print.key=true --formatter-property key.separator=$'\t' > "$work/java.txt"
brook consume --topic "$T" --until-end --format kv > "$work/brook.txt"
[ "$(wc -l < "$work/java.txt")" -eq 10000 ] || fail "console consumer read $(wc -l < "$work/java.txt") records, want 10000"
sort "$work/java.txt" > "$work/java.sorted"
sort "$work/brook.txt" > "$work/brook.sorted"
cmp -s "$work/java.sorted" "$work/brook.sorted" || {
  diff "$work/java.sorted" "$work/brook.sorted" | head -5 >&2
  fail "Kafka's console consumer and brook disagree on the records of $T"
}

echo "== 3. consumer-perf counts brook's records"
"$KT" consumer-perf --bootstrap-server "$BS" --topic "$T" --num-records 10000 --timeout 60000 \
  | tee "$work/perf.txt"
# CSV after a header (and possibly warnings): start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, ...
n=$(awk -F', *' '/^[0-9]/ { print $5 }' "$work/perf.txt")
[ "$n" = "10000" ] || fail "consumer-perf consumed '$n' records, want 10000"

echo "== 4. Java's partitioner and brook's agree"
T2="it-interop-java-$RUN"
brook topics create --topic "$T2" --partitions 4
for i in $(seq 0 299); do printf 'key-%08d\tv%d\n' "$i" "$i"; done > "$work/keyed.txt"
"$KT" console-producer --bootstrap-server "$BS" --topic "$T2" \
  --reader-property parse.key=true --reader-property key.separator=$'\t' < "$work/keyed.txt"
brook consume --topic "$T2" --until-end --format full | awk -F'\t' '{ print $5 "\t" $2 }' \
  | sort -u > "$work/java-placement"
brook consume --topic "$T" --until-end --format full | awk -F'\t' '{ print $5 "\t" $2 }' \
  | sort -u > "$work/brook-placement"
[ "$(wc -l < "$work/java-placement")" -eq 300 ] || fail "expected 300 keys from the Java producer"
common=$(join -t $'\t' "$work/java-placement" "$work/brook-placement" | wc -l)
[ "$common" -ge 250 ] || fail "only $common keys in common between the two topics"
mismatch=$(join -t $'\t' "$work/java-placement" "$work/brook-placement" | awk -F'\t' '$2 != $3' | wc -l)
[ "$mismatch" -eq 0 ] || fail "$mismatch keys land on different partitions with Java's producer and brook's"

echo "== 5. brook reads what producer-perf wrote"
T3="it-interop-perf-$RUN"
brook topics create --topic "$T3" --partitions 2
"$KT" producer-perf --topic "$T3" --num-records 5000 --record-size 100 --throughput -1 \
  --producer-props bootstrap.servers="$BS" acks=all
out=$(brook consume --topic "$T3" --until-end --format none --count)
echo "$out"
grep -q "^consumed 5000 records" <<< "$out" || fail "brook consumed something else than 5000 records from $T3"
echo "interop: all checks passed"
