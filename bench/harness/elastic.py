#!/usr/bin/env python3
"""Elastic and rolling-restart scenarios of the benchmark (issue 7), brook vs Kafka Streams.

Standard library only. Drives bench/apps/brook_bench_app and the Kafka Streams peer jar
(bench/kstreams-peer) as several instances of one application under a steady input load
and computes, from their JSON stats lines (bench/README.md), how the group behaves when
instances are added, removed or restarted.

Context (`ctx`): a `Ctx` or a dict with the same keys:
    bootstrap        broker, "127.0.0.1:9092"
    bench_app        path of brook_bench_app
    brook_cli        path of the brook CLI (topics, produce)
    jar              path of brook-kstreams-peer.jar
    tmp              scratch directory (state dirs, stdout/stderr of every process)
    prefix           unique per run; every topic and application id created here starts
                     with it, so the caller can delete "<prefix>*" afterwards
    log              log(msg): progress messages
    record_command   record_command(label, argv): each command that was run (for the report)
  optional:
    kafka_tool       scripts/kafka-tool (end offsets, the group's final lag); default: the
                     repo's; missing → figures that need it are null
    java             ["java"] (argv prefix of the peer)
    jvm_heap         "512m" (java -Xmx of each Kafka Streams instance; None: JVM default)
    partitions       16
    extra_sets       ["key=value", ...] passed to BOTH runtimes with --set
    keep             False: delete the topics of each variant after it ran

Entry points: run_elastic(ctx, variants, quick) and run_rolling(ctx, variants, quick) return
JSON-able dicts; markdown_elastic(result) / markdown_rolling(result) render them.
`python3 bench/harness/elastic.py [--quick] [--scenario elastic|rolling|both]` runs them
with the default binaries (those of bench/run) and prints the Markdown.

Scenario design
---------------
Every variant gets a fresh input topic (`partitions` partitions), output topic, application
id and state dirs. Sizes (PARAMS): full 4000 records/s, 100k keys, 15k records/partition
pre-loaded, hold 6 s, cap 300 s, 4 instances in the rolling restart (~15 min for
everything); quick 800 records/s, 2k keys, nothing pre-loaded (the state stays below
acceptable.recovery.lag: Kafka Streams moves tasks at once, brook still through warmups),
hold 3 s, cap 45 s, 2 instances in the rolling restart (~4 min). Topology `count` (RocksDB store with a changelog), --threads 1,
--commit-interval-ms 1000, --stats-interval-ms 100, static membership (--instance-id).
Full mode first pre-loads `preload_per_partition` records per partition (so each task's
changelog is larger than acceptable.recovery.lag = 10000, the default of both runtimes: a
new instance is not caught up and stateful tasks move through warmup replicas), then
`brook produce --rate R` writes a steady load for the whole scenario (100-byte values).

Elastic (variants brook-cooperative, brook-eager, kafka-streams):
  1. start instances a1, a2; wait until the group is balanced (below) and stays so for
     `steady_s`;
  2. scale-out (event T1): start a3, a4; wait until balanced over the 4 (4 partitions each)
     for `hold_s`, at most `cap_s`;
  3. scale-in (event T2): stop a3, a4 with SIGTERM; wait until balanced over a1, a2 again.
     brook-cooperative: the instances run with --drain-on-sigterm (Streams::SetDraining:
     their tasks move away through warmups while they keep processing; the close, once they
     hold no active task, leaves the group). brook-eager (--set rebalance.protocol=eager)
     and Kafka Streams: --leave-group-on-close (Kafka Streams: CloseOptions LEAVE_GROUP).
  Kafka Streams runs with probing.rebalance.interval.ms=60000 (its minimum): a stateful
  task whose new owner is not caught up moves only at a probing rebalance after its warmup
  caught up. brook runs with the same value; a warmup that catches up triggers brook's
  follow-up rebalance at once. max.warmup.replicas stays at the default (2) in both.
Rolling restart (variants brook (cooperative) and kafka-streams): `rolling_instances`
  instances r1..rN with session.timeout.ms=60000 (both); once steady, each in turn gets
  SIGTERM (a static member closes without leaving), is restarted at once with the same
  --instance-id and --state-dir, and the harness waits until the group is balanced again
  (every partition processed by one live instance, each instance its share) for
  `restart_settle_s`.

Balanced: every partition has an owner, the live instance with the most recent record of
  it (within 1 s of its latest progress line), every expected instance owns
  floor/ceil(P/n) partitions, and no state/rebalance line arrived during the hold. Observed
  every 200 ms (± one poll and one 100 ms progress interval).

Figures (all from the instances' stats lines, wall clock ms; one machine, one clock):
  gap of a partition in a window [t0, t1]: the largest time without a record of it on any
  instance: holes in the union of the instances' processing intervals (an instance's
  interval runs from its last record before t0, or its first record, to its last record in
  the window), the longest gap inside one instance (`recent_max_gap_ms` of its progress
  lines in the window), and the time from the last record to t1 if it is still stalled.
  moved partition: its owner (by instance name) at t1 differs from the one at t0, or
    another instance processed it in the window; its gap is its stall (last record on the
    old owner → first record on the new one, or longer).
  unmoved max gap: the largest gap of the partitions that did not move (target: as in
    steady state, i.e. no stall); baseline: the largest gap of any partition in the
    `hold_s` (or `steady_s`) before the event, for comparison.
  rebalances: `rebalance` lines of every instance that started or finished in the window.
    lines = their number; episodes = lines merged where their [started_ms, finished_ms]
    overlap (one group rebalance seen by several instances counts once); brook also reports
    distinct `generation`s (a cooperative move takes >= 2: revoke, then assign).
  time to balanced: from the event until balanced was first observed (with the final
    ownership), null when the cap was hit.
  rolling: task moves = partitions whose owner (instance name) after a restart differs from
    before it (total: before the first vs after the last restart); downtime = the gap of
    the restarted instance's partitions (its last record → first record after restart);
    rebalances on the others = rebalance lines of the instances that were not restarting.
  sanity (every variant): after the load stops, every partition's records processed over
    all instances (including stopped ones) must reach the topic's end offset within 30 s
    (at-least-once: more is fine, the excess is reported as re-processed records); then the
    group's committed lag after the last close (kafka-tool consumer-groups) must be 0.
"""

import argparse
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ELASTIC_VARIANTS = ("brook-cooperative", "brook-eager", "kafka-streams")
ROLLING_VARIANTS = ("brook", "kafka-streams")
SHORT = {"brook-cooperative": "bc", "brook-eager": "be", "kafka-streams": "ks", "brook": "b"}

PARAMS = {
    "full": {"rate": 4000, "keys": 100000, "preload_per_partition": 15000, "steady_s": 15,
             "hold_s": 6, "cap_s": 300, "rolling_instances": 4, "restart_settle_s": 6,
             "initial_cap_s": 180},
    "quick": {"rate": 800, "keys": 2000, "preload_per_partition": 0, "steady_s": 4,
              "hold_s": 3, "cap_s": 45, "rolling_instances": 2, "restart_settle_s": 3,
              "initial_cap_s": 45},
}
VALUE_SIZE = 100
SEED = 42
STATS_INTERVAL_MS = 100
COMMIT_INTERVAL_MS = 1000
CLOSE_TIMEOUT_MS = 30000
DRAIN_TIMEOUT_MS = 120000
SESSION_TIMEOUT_MS = 60000
PROBING_MS = 60000
ACTIVE_MS = 1000     # an owner processed the partition within this long of its progress line
STALE_MS = 3000      # progress lines older than this: the instance is not reporting
POLL_S = 0.2
SPLIT_MS = 250       # a gap this long splits a process's processing of a partition


class Ctx:
    """What the scenarios need from the caller (see the module docstring)."""

    def __init__(self, bootstrap, bench_app, brook_cli, jar, tmp, prefix, log=None,
                 record_command=None, kafka_tool=None, java=None, jvm_heap="512m",
                 partitions=16, extra_sets=None, keep=False):
        self.bootstrap = bootstrap
        # Absolute: the instances run in their own directories.
        self.bench_app = os.path.abspath(bench_app)
        self.brook_cli = os.path.abspath(brook_cli)
        self.jar = os.path.abspath(jar)
        self.tmp = tmp
        self.prefix = prefix
        self.log = log or (lambda msg: print(f"[elastic {time.strftime('%H:%M:%S')}] {msg}",
                                             file=sys.stderr, flush=True))
        self.record_command = record_command or (lambda label, argv: None)
        if kafka_tool is None:
            kafka_tool = os.path.join(REPO, "scripts", "kafka-tool")
        self.kafka_tool = kafka_tool if os.path.exists(kafka_tool) else None
        self.java = list(java or ["java"])
        self.jvm_heap = jvm_heap
        self.partitions = partitions
        self.extra_sets = list(extra_sets or [])
        self.keep = keep

    @classmethod
    def of(cls, ctx):
        if isinstance(ctx, cls):
            return ctx
        if isinstance(ctx, dict):
            return cls(**ctx)
        return cls(**{k: getattr(ctx, k) for k in (
            "bootstrap", "bench_app", "brook_cli", "jar", "tmp", "prefix", "log",
            "record_command") if hasattr(ctx, k)})


class ScenarioError(Exception):
    pass


def now_ms():
    return int(time.time() * 1000)


def tail_lines(path, n=15):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().strip().splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


# ---------------------------------------------------------------- processes and stats

class Sample:
    __slots__ = ("ts", "parts")

    def __init__(self, ts, parts):
        self.ts = ts
        self.parts = parts  # partition -> (processed, first_ms, last_ms, recent_max_gap_ms)


class Proc:
    """One process of an instance (brook_bench_app or the peer) and its parsed stats lines."""

    def __init__(self, name, gen, argv, out_path, err_path, cwd):
        self.name = name          # instance name (a1, r2, ...): stable over restarts
        self.gen = gen            # 0, 1, ...: restarts of the instance
        self.argv = argv
        self.out_path = out_path
        self.err_path = err_path
        self.samples = []
        self.events = []          # every line except progress lines
        self.end = None
        self.start_line = None
        self.rc = None
        self.stop_sent_ms = None
        self.old_format = False   # stats lines without first_ms / recent_max_gap_ms
        self._pos = 0
        self._buf = ""
        self._fo = open(out_path, "w")
        self._fe = open(err_path, "w")
        self.spawn_ms = now_ms()
        self.popen = subprocess.Popen(argv, stdout=self._fo, stderr=self._fe, cwd=cwd,
                                      start_new_session=True)

    @property
    def label(self):
        return self.name if self.gen == 0 else f"{self.name}#{self.gen}"

    def poll(self):
        try:
            with open(self.out_path, errors="replace") as f:
                f.seek(self._pos)
                data = f.read()
                self._pos = f.tell()
        except OSError:
            return
        self._buf += data
        *lines, self._buf = self._buf.split("\n")
        for line in lines:
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            kind = ev.get("event")
            if kind in ("progress", "end"):
                parts = {}
                for p in ev.get("partitions") or []:
                    if "recent_max_gap_ms" not in p or "first_ms" not in p:
                        self.old_format = True
                    parts[p["partition"]] = (p.get("processed") or 0, p.get("first_ms") or 0,
                                             p.get("last_progress_ms") or 0,
                                             p.get("recent_max_gap_ms") or 0)
                self.samples.append(Sample(ev["ts_ms"], parts))
            if kind == "end":
                self.end = ev
            elif kind == "start":
                self.start_line = ev
            if kind != "progress":
                ev["_proc"] = self.label
                self.events.append(ev)
        if self.rc is None:
            rc = self.popen.poll()
            if rc is not None:
                self.rc = rc

    def running(self):
        return self.rc is None and self.popen.poll() is None

    def signal(self, sig=signal.SIGTERM):
        if self.running():
            if self.stop_sent_ms is None:
                self.stop_sent_ms = now_ms()
            try:
                os.killpg(self.popen.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout):
        try:
            self.rc = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        finally:
            self.poll()
        return self.rc

    def kill(self):
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.popen.wait()
        self.rc = self.popen.returncode if self.rc is None else self.rc
        self.poll()
        self._fo.close()
        self._fe.close()

    def last_sample(self):
        return self.samples[-1] if self.samples else None

    def base(self, t0, p):
        """(processed, last_ms) of partition p at this process's last sample at or before t0."""
        best = None
        for s in self.samples:
            if s.ts > t0:
                break
            best = s
        if best is None or p not in best.parts:
            return 0, None
        e = best.parts[p]
        return e[0], e[2]

    def failure(self):
        return {"instance": self.label, "exit_code": self.rc, "stderr_tail": tail_lines(self.err_path)}


# ---------------------------------------------------------------- the figures

def ownership(procs, at_ms=None):
    """partition -> Proc: the live process with the most recent record of it."""
    t = at_ms if at_ms is not None else now_ms()
    own = {}
    for pr in procs:
        if not pr.running():
            continue
        s = pr.last_sample()
        if s is None or t - s.ts > STALE_MS:
            continue
        for p, e in s.parts.items():
            if s.ts - e[2] > ACTIVE_MS:
                continue
            cur = own.get(p)
            if cur is None or e[2] > cur[1]:
                own[p] = (pr, e[2])
    return {p: v[0] for p, v in own.items()}


def is_balanced(own, names, partitions):
    if len(own) != partitions or not names:
        return False
    counts = {n: 0 for n in names}
    for p in range(partitions):
        pr = own.get(p)
        if pr is None or pr.name not in counts:
            return False
        counts[pr.name] += 1
    lo, hi = partitions // len(names), -(-partitions // len(names))
    return all(lo <= c <= hi for c in counts.values())


def segments(pr, p):
    """Processing of partition p on one process: ([(start_ms, end_ms)], [(gap_end_ms, gap_ms)]).

    A gap of at least SPLIT_MS ends the current interval (the next one starts where the gap
    ended: last record + recent_max_gap_ms of the progress line that saw processing resume);
    shorter gaps stay inside their interval and are kept as (end, length).
    """
    ivs, small = [], []
    prev_c, prev_l = 0, 0
    for smp in pr.samples:
        e = smp.parts.get(p)
        if e is None or e[0] <= prev_c:
            continue
        c, first, last, rgap = e
        if prev_c == 0:
            ivs.append([first or last, last])
        elif rgap >= SPLIT_MS:
            resume = min(prev_l + rgap, last)
            ivs[-1][1] = prev_l
            ivs.append([resume, last])
        else:
            if rgap:
                small.append((smp.ts, rgap))
            ivs[-1][1] = last
        prev_c, prev_l = c, last
    return [tuple(iv) for iv in ivs], small


def partition_window(p, procs, t0, t1, seg_cache=None):
    """The gap figures of partition p in [t0, t1] (module docstring)."""
    ivs = []      # (start, end, instance name)
    intra = 0
    for pr in procs:
        key = (id(pr), p)
        if seg_cache is not None and key in seg_cache:
            segs, small = seg_cache[key]
        else:
            segs, small = segments(pr, p)
            if seg_cache is not None:
                seg_cache[key] = (segs, small)
        ivs += [(a, b, pr.name) for a, b in segs]
        intra = max([intra] + [g for ts, g in small if t0 < ts <= t1 + STATS_INTERVAL_MS])
    ivs.sort()
    # Owner before: the interval holding t0 or the last one to end before it; after: the
    # interval that ends last (up to t1).
    before = None
    for a, b, n in ivs:
        if a <= t0 and (before is None or min(b, t0) >= before[0]):
            before = (min(b, t0), n)
    inwin = [(a, b, n) for a, b, n in ivs if b > t0 and a <= t1]
    after = max(inwin, key=lambda x: x[1])[2] if inwin else (before[1] if before else None)
    # Holes of the union that overlap the window (counted whole), and an open one at t1.
    hole, cur = 0, None
    for a, b, n in ivs:
        if a > t1:
            break
        if cur is not None and a > cur and a > t0:
            hole = max(hole, a - cur)
        cur = b if cur is None else max(cur, b)
    open_gap = max(0, t1 - cur) if cur is not None else 0
    processors = sorted({n for a, b, n in inwin})
    bname = before[1] if before else None
    moved = bname != after or any(n != bname for n in processors)
    return {"partition": p, "gap_ms": max(intra, hole, open_gap), "intra_ms": intra,
            "hole_ms": hole, "open_ms": open_gap, "before": bname, "after": after,
            "processors": processors, "moved": moved}


def rebalance_figures(procs, t0, t1, only=None):
    lines = []
    for pr in procs:
        if only is not None and pr.name not in only:
            continue
        for ev in pr.events:
            if ev.get("event") != "rebalance":
                continue
            st, fi = ev.get("started_ms") or 0, ev.get("finished_ms") or 0
            if t0 < fi <= t1 or t0 < st <= t1:
                lines.append(ev)
    episodes = 0
    cur_end = None
    for ev in sorted(lines, key=lambda e: e.get("started_ms") or 0):
        st, fi = ev.get("started_ms") or 0, ev.get("finished_ms") or 0
        if cur_end is None or st > cur_end:
            episodes += 1
            cur_end = fi
        else:
            cur_end = max(cur_end, fi)
    gens = sorted({ev["generation"] for ev in lines if ev.get("generation") is not None})
    detail = [{"instance": ev["_proc"], "started": (ev.get("started_ms") or 0) - t0,
               "duration_ms": ev.get("duration_ms"), "generation": ev.get("generation"),
               "added": ev.get("added"), "removed": ev.get("removed")}
              for ev in sorted(lines, key=lambda e: e.get("started_ms") or 0)]
    return {"lines": len(lines), "episodes": episodes, "detail": detail,
            "generations": len(gens) if any("generation" in ev for ev in lines) or not lines else None,
            "by_instance": {n: sum(1 for ev in lines if ev["_proc"].split("#")[0] == n)
                            for n in sorted({ev["_proc"].split("#")[0] for ev in lines})}}


def restored_in(procs, t0, t1):
    total = 0
    for pr in procs:
        for ev in pr.events:
            if ev.get("event") == "restore" and t0 < ev.get("ts_ms", 0) <= t1:
                total += ev.get("records") or 0
    return total


def stat_max(vals):
    return max(vals) if vals else None


def stat_median(vals):
    return int(statistics.median(vals)) if vals else None


def event_figures(procs, partitions, t0, t1, balanced_ms, base_t0):
    cache = {}
    per = [partition_window(p, procs, t0, t1, cache) for p in range(partitions)]
    moved = [x for x in per if x["moved"]]
    kept = [x for x in per if not x["moved"]]
    base = [partition_window(p, procs, base_t0, t0, cache) for p in range(partitions)] if base_t0 < t0 else []
    worst_kept = max(kept, key=lambda x: x["gap_ms"]) if kept else None
    return {
        "event_ms": t0, "window_end_ms": t1,
        "balanced": balanced_ms is not None,
        "time_to_balanced_ms": balanced_ms,
        "moved_partitions": len(moved),
        "moved_stall_max_ms": stat_max([x["gap_ms"] for x in moved]),
        "moved_stall_median_ms": stat_median([x["gap_ms"] for x in moved]),
        "unmoved_partitions": len(kept),
        "unmoved_max_gap_ms": worst_kept["gap_ms"] if worst_kept else None,
        "unmoved_worst": ({"partition": worst_kept["partition"], "instance": worst_kept["after"]}
                          if worst_kept else None),
        "baseline_max_gap_ms": stat_max([x["gap_ms"] for x in base]),
        "rebalances": rebalance_figures(procs, t0, t1),
        "restored_records": restored_in(procs, t0, t1),
        "partitions": per,
    }


# ---------------------------------------------------------------- one variant's run

class Run:
    def __init__(self, ctx, scenario, variant, quick):
        self.ctx = ctx
        self.variant = variant
        self.quick = quick
        self.prm = PARAMS["quick" if quick else "full"]
        self.P = ctx.partitions
        tag = f"{ctx.prefix}-{scenario}-{SHORT[variant]}"
        self.app_id = tag
        self.input = f"{tag}-in"
        self.output = f"{tag}-out"
        self.dir = os.path.join(ctx.tmp, tag)
        os.makedirs(self.dir, exist_ok=True)
        self.procs = []
        self.producer = None
        self.topics = []
        self.commands = []

    def log(self, msg):
        self.ctx.log(f"{self.variant}: {msg}")

    def record(self, label, argv):
        self.commands.append({"label": label, "argv": list(argv)})
        self.ctx.record_command(f"{self.variant}: {label}", argv)

    def brook(self, *args, label=None, check=True):
        argv = [self.ctx.brook_cli, "--bootstrap-server", self.ctx.bootstrap, *args]
        if label:
            self.record(label, argv)
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if check and r.returncode != 0:
            raise ScenarioError(f"{shlex.join(argv)} failed (exit {r.returncode}): "
                                f"{(r.stderr or r.stdout).strip()[-1500:]}")
        return r

    def setup(self):
        for t in (self.input, self.output):
            self.brook("topics", "create", "--topic", t, "--partitions", str(self.P),
                       label=f"create topic {t}")
            self.topics.append(t)
        pre = self.prm["preload_per_partition"] * self.P
        if pre:
            self.log(f"pre-loading {pre} records")
            self.brook("produce", "--topic", self.input, "--count", str(pre), "--keys",
                       str(self.prm["keys"]), "--value-size", str(VALUE_SIZE), "--seed", str(SEED),
                       "--progress-ms", "0", label="pre-load (state larger than acceptable.recovery.lag)")
        argv = [self.ctx.brook_cli, "--bootstrap-server", self.ctx.bootstrap, "produce",
                "--topic", self.input, "--count", str(self.prm["rate"] * 3600), "--keys",
                str(self.prm["keys"]), "--value-size", str(VALUE_SIZE), "--seed", str(SEED + 1),
                "--rate", str(self.prm["rate"]), "--progress-ms", "0"]
        self.record("steady load for the whole scenario (stopped with SIGTERM at the end)", argv)
        self.producer_out = os.path.join(self.dir, "producer.out")
        with open(self.producer_out, "w") as fo:
            self.producer = subprocess.Popen(argv, stdout=fo, stderr=subprocess.STDOUT,
                                             start_new_session=True)

    def app_argv(self, name, runtime, sets, flags):
        state = os.path.join(self.dir, "state-" + name)
        common = ["--topology", "count", "--bootstrap", self.ctx.bootstrap,
                  "--application-id", self.app_id, "--input", self.input, "--output", self.output,
                  "--threads", "1", "--commit-interval-ms", str(COMMIT_INTERVAL_MS),
                  "--stats-interval-ms", str(STATS_INTERVAL_MS), "--state-dir", state,
                  "--instance-id", name, "--close-timeout-ms", str(CLOSE_TIMEOUT_MS)]
        for kv in list(sets) + self.ctx.extra_sets:
            common += ["--set", kv]
        common += flags
        if runtime == "brook":
            return [self.ctx.bench_app, *common]
        java = list(self.ctx.java)
        if self.ctx.jvm_heap:
            java.append("-Xmx" + self.ctx.jvm_heap)
        return [*java, "-jar", self.ctx.jar, *common]

    def spawn(self, name, argv, gen=0):
        self.record(f"instance {name}" + (f" (restart {gen})" if gen else ""), argv)
        label = name if gen == 0 else f"{name}.{gen}"
        pr = Proc(name, gen, argv, os.path.join(self.dir, label + ".stdout"),
                  os.path.join(self.dir, label + ".stderr"), self.dir)
        self.procs.append(pr)
        return pr

    def poll(self):
        for pr in self.procs:
            pr.poll()

    def check_alive(self, expected):
        for pr in self.procs:
            if pr.old_format:
                program = next((x for x in pr.argv if x.endswith(".jar")), pr.argv[0])
                raise ScenarioError(
                    f"instance {pr.label}: its progress lines have no first_ms/recent_max_gap_ms: "
                    f"{program} is older than this harness; rebuild it (brook_bench_app: cmake "
                    "--build <dir> --target brook_bench_app; the jar: bench/kstreams-peer/build)")
        for pr in expected:
            if not pr.running() and pr.stop_sent_ms is None:
                pr.poll()
                f = pr.failure()
                raise ScenarioError(f"instance {pr.label} exited unexpectedly (exit code {f['exit_code']})"
                                    + (":\n" + f["stderr_tail"] if f["stderr_tail"] else ""))
        if self.producer is not None and self.producer.poll() is not None:
            raise ScenarioError(f"the load producer exited (exit code {self.producer.returncode}): "
                                + tail_lines(self.producer_out))

    def wait_balanced(self, expected, t_event, hold_s, cap_s, what):
        """Waits until balanced over `expected` (Procs) for hold_s; ms after t_event or None."""
        names = [pr.name for pr in expected]
        deadline = time.time() + cap_s
        sig, own_since, quiet_since, first_bal = None, None, now_ms(), None
        n_events = sum(len(pr.events) for pr in self.procs)
        while True:
            time.sleep(POLL_S)
            self.poll()
            self.check_alive(expected)
            t = now_ms()
            n = sum(len(pr.events) for pr in self.procs)
            if n != n_events:
                if any(ev.get("event") in ("state", "rebalance") and ev.get("ts_ms", 0) > quiet_since
                       for pr in self.procs for ev in pr.events):
                    quiet_since = t
                n_events = n
            own = ownership(self.procs, t)
            bal = is_balanced(own, names, self.P)
            cur = tuple(sorted((p, pr.label) for p, pr in own.items())) if bal else None
            if cur != sig:
                sig, own_since = cur, (t if bal else None)
            if bal and first_bal is None:
                first_bal = t
            if bal and t - max(own_since, quiet_since) >= hold_s * 1000:
                self.log(f"{what}: balanced after {(own_since - t_event) / 1000:.1f} s")
                return own_since - t_event
            if time.time() > deadline:
                self.log(f"{what}: NOT balanced within {cap_s} s "
                         f"(owners: {owner_counts(own)})")
                return None

    def stop_producer(self):
        if self.producer is None:
            return
        if self.producer.poll() is None:
            os.killpg(self.producer.pid, signal.SIGTERM)
            try:
                self.producer.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.producer.pid, signal.SIGKILL)
                self.producer.wait()

    def end_offsets(self):
        if not self.ctx.kafka_tool:
            return None
        argv = [self.ctx.kafka_tool, "get-offsets", "--bootstrap-server", self.ctx.bootstrap,
                "--topic", self.input]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        out = {}
        for line in r.stdout.split():
            parts = line.rsplit(":", 2)
            if len(parts) == 3 and parts[0] == self.input:
                out[int(parts[1])] = int(parts[2])
        return out if len(out) == self.P else None

    def processed_by_partition(self):
        tot = {p: 0 for p in range(self.P)}
        for pr in self.procs:
            s = pr.last_sample()
            if s:
                for p, e in s.parts.items():
                    if p in tot:
                        tot[p] += e[0]
        return tot

    def group_lag(self):
        if not self.ctx.kafka_tool:
            return None
        argv = [self.ctx.kafka_tool, "consumer-groups", "--bootstrap-server", self.ctx.bootstrap,
                "--describe", "--group", self.app_id]
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        lag, seen = 0, 0
        for line in r.stdout.splitlines():
            f = line.split()
            if len(f) >= 6 and f[1] == self.input:
                seen += 1
                lag += int(f[5]) if f[5].isdigit() else 0
        return lag if seen else None

    def sanity(self, running):
        """Stops the load, waits until every partition is processed, stops the instances."""
        self.stop_producer()
        ends = self.end_offsets()
        res = {"ok": False, "end_offsets_total": None, "processed_total": None,
               "reprocessed": None, "behind": None, "final_lag": None}
        deadline = time.time() + 30
        while True:
            self.poll()
            tot = self.processed_by_partition()
            if ends is None:
                behind = None
                break
            behind = {p: ends[p] - tot[p] for p in range(self.P) if tot[p] < ends[p]}
            if not behind or time.time() > deadline:
                break
            time.sleep(0.5)
        for pr in running:
            pr.signal(signal.SIGTERM)
        for pr in running:
            if pr.wait(CLOSE_TIMEOUT_MS / 1000 + 30) is None:
                pr.kill()
        self.poll()
        tot = self.processed_by_partition()
        if ends is not None:
            res["end_offsets_total"] = sum(ends.values())
            res["processed_total"] = sum(tot.values())
            res["reprocessed"] = res["processed_total"] - res["end_offsets_total"]
            res["behind"] = {str(p): v for p, v in (behind or {}).items()}
            res["reprocessed_by_partition"] = {str(p): tot[p] - ends[p] for p in range(self.P)
                                               if tot[p] != ends[p]}
        res["final_lag"] = self.group_lag()
        bad_exit = [pr.failure() for pr in self.procs if pr.rc not in (0, None)]
        res["bad_exits"] = bad_exit
        res["ok"] = (ends is not None and not behind and res["final_lag"] == 0 and not bad_exit)
        return res

    def cleanup(self):
        for pr in self.procs:
            pr.kill()
        if self.producer is not None and self.producer.poll() is None:
            self.stop_producer()
        if not self.ctx.keep:
            r = self.brook("topics", "list", "--all", check=False)
            topics = set(self.topics)
            if r.returncode == 0:
                topics.update(t for t in r.stdout.split() if t.startswith(self.app_id))
            for t in sorted(topics):
                self.brook("topics", "delete", "--topic", t, check=False)
        if not self.ctx.keep:  # the state dirs; stdout/stderr of the instances stay in ctx.tmp
            for d in os.listdir(self.dir):
                if d.startswith("state-"):
                    shutil.rmtree(os.path.join(self.dir, d), ignore_errors=True)


def owner_counts(own):
    c = {}
    for pr in own.values():
        c[pr.label] = c.get(pr.label, 0) + 1
    return dict(sorted(c.items()))


def owners_by_name(own):
    return {p: pr.name for p, pr in own.items()}


# ---------------------------------------------------------------- elastic

def elastic_variant(ctx, variant, quick):
    run = Run(ctx, "el", variant, quick)
    prm = run.prm
    out = {"variant": variant, "ok": False, "error": None, "failures": [], "events": {},
           "initial_time_to_balanced_ms": None, "sanity": None, "drains": [], "notes": [],
           "commands": run.commands}
    # runtime, --set keys of every instance, flags of the instances that are scaled away
    runtime, sets, flags_out = {
        "brook-cooperative": ("brook", [f"probing.rebalance.interval.ms={PROBING_MS}"],
                              ["--drain-on-sigterm", "--drain-timeout-ms", str(DRAIN_TIMEOUT_MS)]),
        "brook-eager": ("brook", ["rebalance.protocol=eager", f"probing.rebalance.interval.ms={PROBING_MS}"],
                        ["--leave-group-on-close"]),
        "kafka-streams": ("kafka-streams", [f"probing.rebalance.interval.ms={PROBING_MS}"],
                          ["--leave-group-on-close"]),
    }[variant]
    flags_in = []  # a1, a2 stay to the end: plain SIGTERM close (static members)
    try:
        run.setup()
        a1 = run.spawn("a1", run.app_argv("a1", runtime, sets, flags_in))
        a2 = run.spawn("a2", run.app_argv("a2", runtime, sets, flags_in))
        t_start = now_ms()
        run.log("2 instances started; waiting until steady")
        b0 = run.wait_balanced([a1, a2], t_start, prm["steady_s"], prm["initial_cap_s"], "start (2 instances)")
        out["initial_time_to_balanced_ms"] = b0
        if b0 is None:  # measured anyway: the figures show what happens from there
            out["notes"].append(f"the 2 initial instances were not balanced within {prm['initial_cap_s']} s "
                                f"(owners: {owner_counts(ownership(run.procs))}); scaled out anyway")
        # scale-out
        t1 = now_ms()
        run.log("scale-out 2 -> 4")
        a3 = run.spawn("a3", run.app_argv("a3", runtime, sets, flags_out))
        a4 = run.spawn("a4", run.app_argv("a4", runtime, sets, flags_out))
        b1 = run.wait_balanced([a1, a2, a3, a4], t1, prm["hold_s"], prm["cap_s"], "scale-out 2 -> 4")
        t1_end = now_ms()
        # scale-in
        t2 = now_ms()
        run.log("scale-in 4 -> 2 (SIGTERM to a3, a4)")
        a3.signal(signal.SIGTERM)
        a4.signal(signal.SIGTERM)
        b2 = run.wait_balanced([a1, a2], t2, prm["hold_s"], prm["cap_s"], "scale-in 4 -> 2")
        for pr in (a3, a4):
            if pr.wait(DRAIN_TIMEOUT_MS / 1000 + CLOSE_TIMEOUT_MS / 1000 + 10) is None:
                run.log(f"{pr.label} did not exit after SIGTERM; killing it")
                pr.kill()
        t2_end = now_ms()
        out["sanity"] = run.sanity([a1, a2])
        P = run.P
        out["events"]["scale_out"] = event_figures(run.procs, P, t1, t1_end, b1, t1 - prm["steady_s"] * 1000)
        out["events"]["scale_in"] = event_figures(run.procs, P, t2, t2_end, b2, t2 - prm["hold_s"] * 1000)
        out["events"]["scale_out"]["startup_ms"] = {
            pr.label: first_record_since_start(pr) for pr in (a3, a4)}
        for pr in (a3, a4):
            for ev in pr.events:
                if ev.get("event") == "drain":
                    out["drains"].append({"instance": pr.label, "duration_ms": ev.get("duration_ms"),
                                          "drained": ev.get("drained")})
        out["close_ms"] = {pr.label: (pr.end or {}).get("close_ms") for pr in run.procs}
        out["failures"] = [pr.failure() for pr in run.procs if pr.rc not in (0, None)]
        if not out["sanity"]["ok"]:
            out["error"] = "sanity check failed: " + sanity_text(out["sanity"])
        out["ok"] = out["error"] is None and not out["failures"]
    except ScenarioError as e:
        out["error"] = str(e)
        run.log(f"FAILED: {e}")
    except Exception as e:  # noqa: BLE001 - report and go on with the other variants
        out["error"] = f"{type(e).__name__}: {e}"
        run.log(f"FAILED: {out['error']}")
    finally:
        if out["error"] and not out["failures"]:
            out["failures"] = [pr.failure() for pr in run.procs if pr.rc not in (0, None)]
        run.cleanup()
    return out


def first_record_since_start(pr):
    for ev in pr.events:
        if ev.get("event") == "first_record":
            return ev.get("since_process_start_ms")
    return None


def sanity_text(s):
    bits = []
    if s.get("behind"):
        bits.append("partitions behind the end offset: " + json.dumps(s["behind"]))
    if s.get("end_offsets_total") is None:
        bits.append("end offsets unknown (kafka-tool)")
    if s.get("final_lag") not in (0,):
        bits.append(f"final committed lag {s.get('final_lag')}")
    for f in s.get("bad_exits") or []:
        bits.append(f"{f['instance']} exit code {f['exit_code']}")
    return "; ".join(bits) or "ok"


def run_scenario(ctx, scenario, label, known, run_variant, variants, quick):
    """Runs run_variant(ctx, v, quick) for each of `variants` (each one of `known`)."""
    ctx = Ctx.of(ctx)
    res = {"scenario": scenario, "quick": quick, "params": dict(PARAMS["quick" if quick else "full"]),
           "partitions": ctx.partitions, "variants": {}}
    for v in variants:
        if v not in known:
            raise ValueError(f"unknown {scenario} variant {v} (choose from {', '.join(known)})")
        ctx.log(f"{label}: {v}")
        res["variants"][v] = run_variant(ctx, v, quick)
    return res


def run_elastic(ctx, variants=ELASTIC_VARIANTS, quick=False):
    return run_scenario(ctx, "elastic", "elastic", ELASTIC_VARIANTS, elastic_variant, variants, quick)


# ---------------------------------------------------------------- rolling restart

def rolling_variant(ctx, variant, quick):
    run = Run(ctx, "roll", variant, quick)
    prm = run.prm
    out = {"variant": variant, "ok": False, "error": None, "failures": [], "restarts": [],
           "totals": None, "initial_time_to_balanced_ms": None, "sanity": None, "notes": [],
           "commands": run.commands}
    runtime = "kafka-streams" if variant == "kafka-streams" else "brook"
    sets = [f"session.timeout.ms={SESSION_TIMEOUT_MS}"]
    if runtime == "kafka-streams":
        sets.append(f"probing.rebalance.interval.ms={PROBING_MS}")
    try:
        run.setup()
        n = prm["rolling_instances"]
        names = [f"r{i + 1}" for i in range(n)]
        live = {nm: run.spawn(nm, run.app_argv(nm, runtime, sets, [])) for nm in names}
        t_start = now_ms()
        b0 = run.wait_balanced(list(live.values()), t_start, prm["steady_s"], prm["initial_cap_s"],
                               f"start ({n} instances)")
        out["initial_time_to_balanced_ms"] = b0
        if b0 is None:
            out["notes"].append(f"the {n} initial instances were not balanced within {prm['initial_cap_s']} s "
                                f"(owners: {owner_counts(ownership(run.procs))}); restarted anyway")
        t_first = now_ms()
        own_first = owners_by_name(ownership(run.procs, t_first))
        for gen_i, nm in enumerate(names):
            old = live[nm]
            t0 = now_ms()
            own_before = owners_by_name(ownership(run.procs, t0))
            mine = sorted(p for p, o in own_before.items() if o == nm)
            run.log(f"restart {nm}: SIGTERM")
            old.signal(signal.SIGTERM)
            if old.wait(CLOSE_TIMEOUT_MS / 1000 + 15) is None:
                old.kill()
                raise ScenarioError(f"{old.label} did not exit within {CLOSE_TIMEOUT_MS / 1000 + 15:.0f} s of SIGTERM")
            if old.rc != 0:
                raise ScenarioError(f"{old.label} exited with {old.rc} on SIGTERM:\n{tail_lines(old.err_path)}")
            t_exit = now_ms()
            new = run.spawn(nm, run.app_argv(nm, runtime, sets, []), gen=old.gen + 1)
            live[nm] = new
            b = run.wait_balanced(list(live.values()), t0, prm["restart_settle_s"], prm["cap_s"],
                                  f"restart {nm}")
            t1 = now_ms()
            own_after = owners_by_name(ownership(run.procs, t1))
            per = [partition_window(p, run.procs, t0, t1) for p in range(run.P)]
            own_p = [x for x in per if x["partition"] in mine]
            others = [x for x in per if x["partition"] not in mine]
            others_names = [x for x in names if x != nm]
            moves = sum(1 for p in range(run.P) if own_before.get(p) != own_after.get(p))
            out["restarts"].append({
                "instance": nm, "stop_ms": t0, "exit_ms": t_exit,
                "close_ms": (old.end or {}).get("close_ms"),
                "balanced": b is not None, "time_to_balanced_ms": b,
                "partitions_of_instance": len(mine),
                "downtime_max_ms": stat_max([x["gap_ms"] for x in own_p]),
                "downtime_median_ms": stat_median([x["gap_ms"] for x in own_p]),
                "others_max_gap_ms": stat_max([x["gap_ms"] for x in others]),
                "task_moves": moves,
                "rebalances_others": rebalance_figures(run.procs, t0, t1, only=others_names),
                "rebalances_restarted": rebalance_figures(run.procs, t0, t1, only=[nm]),
                "startup_ms": first_record_since_start(new),
            })
        t_last = now_ms()
        own_last = owners_by_name(ownership(run.procs, t_last))
        out["sanity"] = run.sanity(list(live.values()))
        rs = out["restarts"]
        out["totals"] = {
            "restarts": len(rs),
            "rebalances_others_lines": sum(r["rebalances_others"]["lines"] for r in rs),
            "rebalances_others_episodes": sum(r["rebalances_others"]["episodes"] for r in rs),
            "rebalances_all": rebalance_figures(run.procs, t_first, t_last),
            "task_moves_first_to_last": sum(1 for p in range(run.P) if own_first.get(p) != own_last.get(p)),
            "task_moves_sum": sum(r["task_moves"] for r in rs),
            "downtime_max_ms": stat_max([r["downtime_max_ms"] for r in rs if r["downtime_max_ms"] is not None]),
            "others_max_gap_ms": stat_max([r["others_max_gap_ms"] for r in rs if r["others_max_gap_ms"] is not None]),
            "baseline_max_gap_ms": stat_max([partition_window(p, run.procs, t_first - prm["steady_s"] * 1000,
                                                              t_first)["gap_ms"] for p in range(run.P)]),
            "all_balanced": all(r["balanced"] for r in rs),
        }
        out["failures"] = [pr.failure() for pr in run.procs if pr.rc not in (0, None)]
        if not out["sanity"]["ok"]:
            out["error"] = "sanity check failed: " + sanity_text(out["sanity"])
        out["ok"] = out["error"] is None and not out["failures"]
    except ScenarioError as e:
        out["error"] = str(e)
        run.log(f"FAILED: {e}")
    except Exception as e:  # noqa: BLE001
        out["error"] = f"{type(e).__name__}: {e}"
        run.log(f"FAILED: {out['error']}")
    finally:
        if out["error"] and not out["failures"]:
            out["failures"] = [pr.failure() for pr in run.procs if pr.rc not in (0, None)]
        run.cleanup()
    return out


def run_rolling(ctx, variants=ROLLING_VARIANTS, quick=False):
    return run_scenario(ctx, "rolling", "rolling restart", ROLLING_VARIANTS, rolling_variant, variants, quick)


# ---------------------------------------------------------------- Markdown

def fmt(v, scale=1, nd=0, suffix=""):
    if v is None:
        return "n/a"
    v = v / scale
    return f"{v:,.{nd}f}{suffix}"


def failures_md(name, r):
    L = []
    if r.get("error") or r.get("failures"):
        L.append(f"- **{name}**: {r.get('error') or 'instance failures'}")
        for f in r.get("failures") or []:
            L.append(f"  - {f['instance']}: exit code {f['exit_code']}")
            if f.get("stderr_tail"):
                L.append("    ```")
                L.extend("    " + ln for ln in f["stderr_tail"].splitlines())
                L.append("    ```")
    return L


def runs_and_sanity_md(result):
    """The failures and sanity-check lines of every variant (Markdown list lines)."""
    fails = [ln for n, r in result["variants"].items() for ln in failures_md(n, r)]
    for n, r in result["variants"].items():
        s = r.get("sanity")
        if s and s.get("reprocessed") is not None:
            fails.append(f"- {n}: sanity {'ok' if s['ok'] else 'FAILED'}: {s['processed_total']:,} processed over "
                         f"all instances for {s['end_offsets_total']:,} input records "
                         f"({s['reprocessed']:,} re-processed), final lag {s['final_lag']}")
    return ["", "Runs and sanity checks:", ""] + fails if fails else []


def markdown_elastic(result):
    p = result["params"]
    L = [f"### Elastic scaling 2 → 4 → 2 ({'quick' if result['quick'] else 'full'})", "",
         f"{result['partitions']} partitions, topology `count`, 1 thread per instance, steady load "
         f"{p['rate']:,} records/s ({p['keys']:,} keys), pre-load {p['preload_per_partition']:,} "
         f"records/partition; hold {p['hold_s']} s, cap {p['cap_s']} s.", "",
         "| variant | event | time to balanced s | moved partitions | stall of moved max / median ms "
         "| unmoved partitions | unmoved max gap ms | baseline max gap ms | rebalances: episodes / lines / generations "
         "| restored records | ok |",
         "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, r in result["variants"].items():
        evs = r.get("events") or {}
        if not evs:
            L.append(f"| {name} | – | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | FAILED |")
        for key, label in (("scale_out", "2 → 4"), ("scale_in", "4 → 2")):
            e = evs.get(key)
            if not e:
                continue
            rb = e["rebalances"]
            L.append("| " + " | ".join([
                name, label,
                fmt(e["time_to_balanced_ms"], 1000, 1) if e["balanced"] else f"not within {p['cap_s']} s",
                str(e["moved_partitions"]),
                f"{fmt(e['moved_stall_max_ms'])} / {fmt(e['moved_stall_median_ms'])}",
                str(e["unmoved_partitions"]), fmt(e["unmoved_max_gap_ms"]),
                fmt(e["baseline_max_gap_ms"]),
                f"{rb['episodes']} / {rb['lines']} / {rb['generations'] if rb['generations'] is not None else 'n/a'}",
                fmt(e["restored_records"]),
                "yes" if r["ok"] else "NO"]) + " |")
    L.append("")
    L.append("Start (0 → 2 instances), time to balanced: " + "; ".join(
        f"{n} {fmt(r.get('initial_time_to_balanced_ms'), 1000, 1, ' s') if r.get('initial_time_to_balanced_ms') is not None else 'not within ' + str(p['initial_cap_s']) + ' s'}"
        for n, r in result["variants"].items()))
    for n, r in result["variants"].items():
        for note in r.get("notes") or []:
            L.append(f"- {n}: {note}")
    drains = [(n, d) for n, r in result["variants"].items() for d in r.get("drains") or []]
    if drains:
        L.append("")
        L.append("Drains (brook, --drain-on-sigterm): " + "; ".join(
            f"{n} {d['instance']} {fmt(d.get('duration_ms'))} ms"
            + ("" if d.get("drained") else " (timed out)") for n, d in drains))
    L += ["", "How the figures are computed (all from the instances' stats lines, wall clock):",
          "- *time to balanced*: event → first observation (200 ms polls of the 100 ms progress lines) "
          "of the final ownership in which every partition is processed by one live instance and each "
          "instance holds its share (4 of 16, then 8), held for the hold time without state/rebalance lines.",
          "- *moved*: the partition's owner after the event differs from the one before, or another "
          "instance processed it meanwhile. *stall*: its longest time without a record on any instance "
          "(last record on the old owner → first on the new one, or longer).",
          "- *unmoved max gap*: the longest time without a record of any partition that kept its owner, "
          "from the event until the end of the hold (target: like the *baseline*, the same figure "
          "over all partitions in the steady period before the event).",
          "- *rebalances*: `rebalance` lines of all instances that started or finished in that window; "
          "episodes = lines merged where their [started, finished] intervals overlap (one group rebalance "
          "seen by several instances counts once); generations = distinct group generations in them "
          "(brook only; a cooperative move takes at least two).",
          "- scale-in: brook-cooperative drains the leaving instances (tasks move while they keep "
          "processing, then they close and leave); brook-eager and Kafka Streams close leaving the group.",
          "- *restored records*: records of the `restore` lines in the window (warmup/standby restores "
          "are not included for brook)."]
    return "\n".join(L + runs_and_sanity_md(result))


def markdown_rolling(result):
    p = result["params"]
    L = [f"### Rolling restart, static membership ({'quick' if result['quick'] else 'full'})", "",
         f"{p['rolling_instances']} instances, {result['partitions']} partitions, topology `count`, steady load "
         f"{p['rate']:,} records/s, session.timeout.ms {SESSION_TIMEOUT_MS}; each instance in turn: SIGTERM "
         "(closes without leaving), restarted at once with the same --instance-id and --state-dir.", "",
         "| variant | restarts | rebalances on the others: episodes / lines | all rebalance lines | task moves: first→last / sum per restart "
         "| downtime of the restarted instance max ms | median ms (per restart, max) | others' max gap ms | baseline max gap ms | ok |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, r in result["variants"].items():
        t = r.get("totals")
        if not t:
            L.append(f"| {name} | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | FAILED |")
            continue
        meds = [x["downtime_median_ms"] for x in r["restarts"] if x["downtime_median_ms"] is not None]
        L.append("| " + " | ".join([
            name, str(t["restarts"]),
            f"{t['rebalances_others_episodes']} / {t['rebalances_others_lines']}",
            str(t["rebalances_all"]["lines"]),
            f"{t['task_moves_first_to_last']} / {t['task_moves_sum']}",
            fmt(t["downtime_max_ms"]), fmt(max(meds) if meds else None),
            fmt(t["others_max_gap_ms"]), fmt(t["baseline_max_gap_ms"]),
            "yes" if r["ok"] else "NO"]) + " |")
    L.append("")
    L.append("Start, time to balanced: " + "; ".join(
        f"{n} {fmt(r.get('initial_time_to_balanced_ms'), 1000, 1, ' s') if r.get('initial_time_to_balanced_ms') is not None else 'not within ' + str(p['initial_cap_s']) + ' s'}"
        for n, r in result["variants"].items()))
    for n, r in result["variants"].items():
        for note in r.get("notes") or []:
            L.append(f"- {n}: {note}")
    L += ["", "Per restart:", "",
          "| variant | instance | close ms | time to balanced s | downtime max / median ms | others' max gap ms "
          "| rebalance lines: others / restarted | task moves |",
          "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name, r in result["variants"].items():
        for x in r.get("restarts") or []:
            L.append("| " + " | ".join([
                name, x["instance"], fmt(x["close_ms"]),
                fmt(x["time_to_balanced_ms"], 1000, 1) if x["balanced"] else "not balanced",
                f"{fmt(x['downtime_max_ms'])} / {fmt(x['downtime_median_ms'])}",
                fmt(x["others_max_gap_ms"]),
                f"{x['rebalances_others']['lines']} / {x['rebalances_restarted']['lines']}",
                str(x["task_moves"])]) + " |")
    L += ["", "How the figures are computed:",
          "- *rebalances on the others*: `rebalance` lines of the instances that were not being restarted, "
          "from the SIGTERM until the group was balanced again (episodes: overlapping lines merged); "
          "target 0. *all rebalance lines*: every instance, including the restarted one's own rejoin.",
          "- *task moves*: partitions whose owner (instance name) differs; first→last: before the first "
          "vs after the last restart; sum: before vs after each restart, added up.",
          "- *downtime*: per partition of the restarted instance, the longest time without a record "
          "on any instance (its last record before the stop → first after the restart, wherever it ran).",
          "- *others' max gap*: the longest time without a record of the other instances' partitions "
          "during the restart (baseline: all partitions in the steady period before the first restart)."]
    return "\n".join(L + runs_and_sanity_md(result))


# ---------------------------------------------------------------- command line

BUILD_CMD = "cmake --build build/bench --target brook_bench_app brook"


def default_ctx(a):
    app = a.bench_app or os.path.join(REPO, "build/bench/bench/apps/brook_bench_app")
    if not (os.path.isfile(app) and os.access(app, os.X_OK)):
        sys.exit(f"elastic.py: brook_bench_app not found at {app}: build it with `{BUILD_CMD}`")
    if a.brook_cli:
        cli = a.brook_cli
    else:
        cands = [os.path.join(REPO, d, "src/cli/brook") for d in ("build/bench", "build/release", "build/me")]
        cli = next((c for c in cands if os.path.isfile(c) and os.access(c, os.X_OK)), cands[0])
    if not (os.path.isfile(cli) and os.access(cli, os.X_OK)):
        sys.exit(f"elastic.py: brook CLI not found at {cli}: build it with `{BUILD_CMD}`")
    if a.jar:
        jar = a.jar
    else:
        r = subprocess.run([os.path.join(REPO, "bench/kstreams-peer/build")], cwd=REPO,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = r.stdout.strip().splitlines()
        if r.returncode != 0 or not lines:
            sys.exit("elastic.py: bench/kstreams-peer/build failed (exit %d):\n%s"
                     % (r.returncode, r.stderr.strip()[-2000:]))
        jar = lines[-1].strip()
    if not os.path.isfile(jar):
        sys.exit(f"elastic.py: the peer jar {jar} does not exist")
    prefix = "elastic-" + time.strftime("%Y%m%d%H%M%S") + "-" + str(os.getpid())
    if a.logs:
        tmp = os.path.abspath(a.logs)
        os.makedirs(tmp, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix=f"brook-{prefix}-")
    commands = []
    return Ctx(bootstrap=a.bootstrap, bench_app=app, brook_cli=cli, jar=jar, tmp=tmp, prefix=prefix,
               record_command=lambda label, argv: commands.append((label, argv)),
               jvm_heap=a.jvm_heap, partitions=a.partitions, extra_sets=a.set, keep=a.keep), commands


def main(argv):
    p = argparse.ArgumentParser(prog="bench/harness/elastic.py",
                                description="Elastic (2 → 4 → 2) and rolling-restart scenarios, "
                                            "brook vs Kafka Streams; prints Markdown.")
    p.add_argument("--quick", action="store_true", help="tiny load, short phases (a few minutes)")
    p.add_argument("--scenario", choices=("elastic", "rolling", "both"), default="both")
    p.add_argument("--variants", default=None,
                   help="comma-separated: elastic %s; rolling %s (default: all of the scenario)"
                        % (",".join(ELASTIC_VARIANTS), ",".join(ROLLING_VARIANTS)))
    p.add_argument("--bootstrap", default="127.0.0.1:9092")
    p.add_argument("--bench-app", default=None)
    p.add_argument("--brook-cli", default=None)
    p.add_argument("--jar", default=None, help="peer jar (default: bench/kstreams-peer/build prints it)")
    p.add_argument("--jvm-heap", default="512m", help="java -Xmx of each Kafka Streams instance")
    p.add_argument("--partitions", type=int, default=16)
    p.add_argument("--set", action="append", default=[], help="key=value for both runtimes (repeatable)")
    p.add_argument("--json", default=None, help="also write the raw results here")
    p.add_argument("--keep", action="store_true", help="keep topics and state dirs")
    p.add_argument("--logs", default=None,
                   help="keep every instance's stdout (stats lines) and stderr in this directory")
    a = p.parse_args(argv)
    ctx, commands = default_ctx(a)
    chosen = [v.strip() for v in a.variants.split(",")] if a.variants else None
    results = {}
    md = []
    try:
        if a.scenario in ("elastic", "both"):
            vs = [v for v in (chosen or ELASTIC_VARIANTS) if v in ELASTIC_VARIANTS]
            results["elastic"] = run_elastic(ctx, vs, a.quick)
            md.append(markdown_elastic(results["elastic"]))
        if a.scenario in ("rolling", "both"):
            vs = [v for v in (chosen or ROLLING_VARIANTS) if v in ROLLING_VARIANTS]
            results["rolling"] = run_rolling(ctx, vs, a.quick)
            md.append(markdown_rolling(results["rolling"]))
    finally:
        if not a.keep and not a.logs:
            shutil.rmtree(ctx.tmp, ignore_errors=True)
    md.append("Commands:\n\n```sh\n" + "\n".join(
        f"# {label}\n{shlex.join(argv)}" for label, argv in commands) + "\n```")
    print("\n\n".join(md))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    ok = all(r["ok"] for res in results.values() for r in res["variants"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
