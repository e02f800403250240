#!/usr/bin/env python3
"""Checks the figures of a `bench/run --quick --json-out F` smoke run: every part ran and
every figure exists (a number, not null); values are not judged. Exit 1 naming each
missing figure. Usage: bench_smoke_check.py figures.json report.md"""

import json
import sys

RUNTIMES = ("brook", "kafka-streams")
TOPOLOGIES = ("passthrough", "count", "window", "join")
PARTS = ("throughput", "limits", "restore", "elastic", "rolling")

missing = []


def need(value, where):
    if value is None or (isinstance(value, float) and value != value):
        missing.append(where)
    return value


def main(fig_path, report_path):
    fig = json.load(open(fig_path))
    for part in PARTS:
        if part not in fig.get("parts", []):
            missing.append(f"part {part} did not run")
    rows = {r["topology"]: r for r in fig.get("throughput") or []}
    for topo in TOPOLOGIES:
        row = rows.get(topo)
        if row is None:
            missing.append(f"throughput.{topo}")
            continue
        for rt in RUNTIMES:
            r = row[rt]
            if r.get("n_ok") != r.get("n") or not r.get("n"):
                missing.append(f"throughput.{topo}.{rt}: {r.get('n_ok')}/{r.get('n')} runs ok")
            for k in ("rps", "cpu_per_m", "rss_mb", "startup_ms", "max_gap_ms"):
                need(r.get(k), f"throughput.{topo}.{rt}.{k}")
    lim = fig.get("limits") or {}
    for k in ("consume_librdkafka", "consume_kafka_perf", "produce_librdkafka", "produce_kafka_perf"):
        d = lim.get(k) or {}
        need(d.get("records_per_s"), f"limits.{k}.records_per_s")
        if d.get("error"):
            missing.append(f"limits.{k}.error = {d['error']!r}")
    rest = fig.get("restore") or {}
    for rt in RUNTIMES:
        r = rest.get(rt) or {}
        if not r.get("ok"):
            missing.append(f"restore.{rt}: {r.get('error') or 'did not run'}")
            continue
        ph = r.get("phases") or {}
        for phase, keys in (("scratch", ("restored", "restore_ms", "restore_records_per_s", "ready_ms")),
                            ("restart", ("restored", "restore_ms", "ready_ms")),
                            ("crash", ("restored", "restore_ms", "processed"))):
            for k in keys:
                need((ph.get(phase) or {}).get(k), f"restore.{rt}.{phase}.{k}")
        if ((ph.get("scratch") or {}).get("restored") or 0) <= 0:
            missing.append(f"restore.{rt}.scratch.restored: nothing restored from scratch")
    el = fig.get("elastic") or {}
    for v in ("brook-cooperative", "brook-eager", "kafka-streams"):
        r = (el.get("variants") or {}).get(v)
        if r is None:
            missing.append(f"elastic.{v}: did not run")
            continue
        if r.get("error") or r.get("failures"):
            missing.append(f"elastic.{v}: {r.get('error') or r.get('failures')}")
        for event in ("scale_out", "scale_in"):
            e = (r.get("events") or {}).get(event) or {}
            where = f"elastic.{v}.{event}"
            # time_to_balanced_ms is null when the cap was hit: a result, so only its key counts.
            if "time_to_balanced_ms" not in e:
                missing.append(f"{where}.time_to_balanced_ms")
            for k in ("moved_partitions", "unmoved_partitions", "unmoved_max_gap_ms",
                      "baseline_max_gap_ms", "restored_records"):
                need(e.get(k), f"{where}.{k}")
            if e.get("moved_partitions"):
                need(e.get("moved_stall_max_ms"), f"{where}.moved_stall_max_ms")
            reb = e.get("rebalances") or {}
            for k in ("lines", "episodes"):
                need(reb.get(k), f"{where}.rebalances.{k}")
            if v.startswith("brook"):
                need(reb.get("generations"), f"{where}.rebalances.generations")
    ro = fig.get("rolling") or {}
    for v in ("brook", "kafka-streams"):
        r = (ro.get("variants") or {}).get(v)
        if r is None:
            missing.append(f"rolling.{v}: did not run")
            continue
        if r.get("error") or r.get("failures"):
            missing.append(f"rolling.{v}: {r.get('error') or r.get('failures')}")
        if not r.get("restarts"):
            missing.append(f"rolling.{v}.restarts: none")
        for i, rs in enumerate(r.get("restarts") or []):
            for k in ("downtime_max_ms", "others_max_gap_ms", "task_moves", "close_ms"):
                need(rs.get(k), f"rolling.{v}.restarts[{i}].{k}")
            need((rs.get("rebalances_others") or {}).get("lines"),
                 f"rolling.{v}.restarts[{i}].rebalances_others.lines")
    report = open(report_path).read()
    for heading in ("## Throughput", "## Physical limits", "## Restore"):
        if heading not in report:
            missing.append(f"report has no '{heading}' section")
    if missing:
        print("bench smoke run: missing figures:", file=sys.stderr)
        for m in missing:
            print("  - " + m, file=sys.stderr)
        return 1
    print(f"bench smoke run: every figure present ({len(rows)} topologies, limits, restore, elastic, rolling)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
