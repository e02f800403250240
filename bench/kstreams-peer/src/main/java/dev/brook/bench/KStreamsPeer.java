// The Kafka Streams (Java) peer of brook's benchmark app (bench/apps/brook_bench_app.cc):
// the same four topologies, the same command line and the same stats JSON lines
// (bench/README.md), so the harness drives both runtimes identically.
//
//   java -jar brook-kstreams-peer.jar --topology count --bootstrap 127.0.0.1:9092 \
//       --application-id X --input T --output T2 [--table T3] --threads N \
//       --commit-interval-ms M --cache-bytes B --state-dir D --instance-id ID \
//       [--expected-records N] [--stats-file F] [--exit-when-idle-ms M] [--stats-interval-ms M]
//       [--leave-group-on-close] [--set key=value]
//
// Contract: runs until SIGTERM/SIGINT, or (with --exit-when-idle-ms) until it processed
// --expected-records records (when given) and then saw no record for that long (without any
// record: counted from the first RUNNING state);
// then closes Kafka Streams (bounded by --close-timeout-ms), writes the "end" line and exits
// 0 (1: bad arguments or start error, 3: Kafka Streams failed, 4: the close timed out).
// --leave-group-on-close closes with CloseOptions LEAVE_GROUP (a static member leaves too);
// --set key=value puts any other Kafka Streams/client property (after the flags above).
//
// Thread-safety: the Meter is updated by the stream threads (one partition is processed by
// one thread at a time; counters are atomics) and read by the stats thread; Stats lines are
// written under one lock.
package dev.brook.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.FileWriter;
import java.io.IOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

public final class KStreamsPeer {
  private KStreamsPeer() {}

  // ---- Command line ----

  static final class Options {
    String topology = "";
    String bootstrap = "127.0.0.1:9092";
    String applicationId = "";
    String input = "";
    String output = "";
    String table = "";
    int threads = 1;
    long commitIntervalMs = 30000;
    long cacheBytes = 0;
    String stateDir = "/tmp/brook-kstreams-peer";
    String instanceId = "";
    long expectedRecords = 0;
    String statsFile = "";
    long exitWhenIdleMs = 0;
    long statsIntervalMs = 1000;
    long closeTimeoutMs = 30000;
    boolean leaveGroupOnClose = false;
    final Map<String, String> sets = new LinkedHashMap<>();
  }

  static final String USAGE =
      "usage: java -jar brook-kstreams-peer.jar --topology passthrough|count|window|join\n"
          + "  --bootstrap HOST:PORT --application-id ID --input TOPIC --output TOPIC\n"
          + "  [--table TOPIC (join)] [--threads N] [--commit-interval-ms MS] [--cache-bytes B]\n"
          + "  [--state-dir DIR] [--instance-id ID] [--expected-records N] [--stats-file FILE]\n"
          + "  [--exit-when-idle-ms MS] [--stats-interval-ms MS] [--close-timeout-ms MS]\n"
          + "  [--leave-group-on-close] [--set key=value (repeatable)]";

  static Options parse(String[] args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("--help") || flag.equals("-h")) {
        System.out.println(USAGE);
        System.exit(0);
      }
      if (flag.equals("--leave-group-on-close")) {
        o.leaveGroupOnClose = true;
        continue;
      }
      if (i + 1 >= args.length) throw new IllegalArgumentException(flag + " needs a value");
      String v = args[++i];
      switch (flag) {
        case "--topology" -> o.topology = v;
        case "--bootstrap" -> o.bootstrap = v;
        case "--application-id" -> o.applicationId = v;
        case "--input" -> o.input = v;
        case "--output" -> o.output = v;
        case "--table" -> o.table = v;
        case "--threads" -> o.threads = Integer.parseInt(v);
        case "--commit-interval-ms" -> o.commitIntervalMs = Long.parseLong(v);
        case "--cache-bytes" -> o.cacheBytes = Long.parseLong(v);
        case "--state-dir" -> o.stateDir = v;
        case "--instance-id" -> o.instanceId = v;
        case "--expected-records" -> o.expectedRecords = Long.parseLong(v);
        case "--stats-file" -> o.statsFile = v;
        case "--exit-when-idle-ms" -> o.exitWhenIdleMs = Long.parseLong(v);
        case "--stats-interval-ms" -> o.statsIntervalMs = Long.parseLong(v);
        case "--close-timeout-ms" -> o.closeTimeoutMs = Long.parseLong(v);
        case "--set" -> {
          int eq = v.indexOf('=');
          if (eq <= 0) throw new IllegalArgumentException("--set " + v + ": expected key=value");
          o.sets.put(v.substring(0, eq), v.substring(eq + 1));
        }
        default -> throw new IllegalArgumentException("unknown option " + flag);
      }
    }
    if (!o.topology.matches("passthrough|count|window|join")) {
      throw new IllegalArgumentException("--topology must be passthrough, count, window or join");
    }
    if (o.applicationId.isEmpty() || o.input.isEmpty() || o.output.isEmpty()) {
      throw new IllegalArgumentException("--application-id, --input and --output are required");
    }
    if (o.topology.equals("join") && o.table.isEmpty()) {
      throw new IllegalArgumentException("--topology join needs --table");
    }
    if (o.threads < 1 || o.statsIntervalMs < 1) {
      throw new IllegalArgumentException("--threads and --stats-interval-ms must be >= 1");
    }
    return o;
  }

  // ---- Stats: JSON lines to stdout and --stats-file ----

  static final class Stats {
    private final Writer file;

    Stats(String path) throws IOException {
      file = path.isEmpty() ? null : new FileWriter(path, true);
    }

    synchronized void emit(Map<String, Object> fields) {
      String line = Json.object(fields);
      System.out.println(line);
      System.out.flush();
      if (file != null) {
        try {
          file.write(line);
          file.write('\n');
          file.flush();
        } catch (IOException e) {
          System.err.println("stats file: " + e);
        }
      }
    }

    static Map<String, Object> event(String name) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("event", name);
      m.put("ts_ms", System.currentTimeMillis());
      return m;
    }
  }

  // Minimal JSON writer: strings, numbers, booleans, null, maps and lists.
  static final class Json {
    static String object(Map<String, Object> m) {
      StringBuilder sb = new StringBuilder();
      write(sb, m);
      return sb.toString();
    }

    @SuppressWarnings("unchecked")
    static void write(StringBuilder sb, Object v) {
      if (v == null) {
        sb.append("null");
      } else if (v instanceof String s) {
        sb.append('"');
        for (char c : s.toCharArray()) {
          switch (c) {
            case '"' -> sb.append("\\\"");
            case '\\' -> sb.append("\\\\");
            case '\n' -> sb.append("\\n");
            default -> {
              if (c < 0x20) {
                sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
              } else {
                sb.append(c);
              }
            }
          }
        }
        sb.append('"');
      } else if (v instanceof Double d) {
        sb.append(String.format(Locale.ROOT, "%.3f", d));
      } else if (v instanceof Number || v instanceof Boolean) {
        sb.append(v);
      } else if (v instanceof Map<?, ?> map) {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : map.entrySet()) {
          if (!first) sb.append(',');
          first = false;
          write(sb, String.valueOf(e.getKey()));
          sb.append(':');
          write(sb, e.getValue());
        }
        sb.append('}');
      } else if (v instanceof Iterable<?> list) {
        sb.append('[');
        boolean first = true;
        for (Object o : list) {
          if (!first) sb.append(',');
          first = false;
          write(sb, o);
        }
        sb.append(']');
      } else {
        write(sb, v.toString());
      }
    }
  }

  // ---- Meter: records processed, first record, per-partition progress ----

  static final int MAX_PARTITIONS = 4096;

  static final class Meter {
    final AtomicLong processed = new AtomicLong();
    final AtomicLong firstMs = new AtomicLong(-1);
    final AtomicLong lastMs = new AtomicLong(-1);
    final AtomicLong expectedReachedMs = new AtomicLong(-1);
    final long expected;
    // Per input partition: records, wall clock of the first and of the last one, longest gap
    // between two, longest gap that ended since the previous partitions(true) (progress line).
    final AtomicLongArray count = new AtomicLongArray(MAX_PARTITIONS);
    final AtomicLongArray first = new AtomicLongArray(MAX_PARTITIONS);
    final AtomicLongArray last = new AtomicLongArray(MAX_PARTITIONS);
    final AtomicLongArray maxGap = new AtomicLongArray(MAX_PARTITIONS);
    final AtomicLongArray recentMaxGap = new AtomicLongArray(MAX_PARTITIONS);

    Meter(long expected) {
      this.expected = expected;
    }

    void record(int partition) {
      long now = System.currentTimeMillis();
      long n = processed.incrementAndGet();
      if (n == 1) firstMs.compareAndSet(-1, now);
      if (n == expected) expectedReachedMs.set(now);
      lastMs.set(now);
      if (partition >= 0 && partition < MAX_PARTITIONS) {
        long prev = last.get(partition);
        if (prev == 0) first.set(partition, now);
        if (prev > 0 && now - prev > maxGap.get(partition)) maxGap.set(partition, now - prev);
        if (prev > 0) recentMaxGap.accumulateAndGet(partition, now - prev, Math::max);
        last.set(partition, now);
        count.incrementAndGet(partition);
      }
    }

    // Every partition with a record; resetRecent: restart recent_max_gap_ms (progress lines).
    List<Object> partitions(boolean resetRecent) {
      List<Object> out = new ArrayList<>();
      for (int p = 0; p < MAX_PARTITIONS; p++) {
        long c = count.get(p);
        if (c == 0) continue;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("partition", p);
        m.put("processed", c);
        m.put("first_ms", first.get(p));
        m.put("last_progress_ms", last.get(p));
        m.put("max_gap_ms", maxGap.get(p));
        m.put("recent_max_gap_ms",
            resetRecent ? recentMaxGap.getAndSet(p, 0) : recentMaxGap.get(p));
        out.add(m);
      }
      return out;
    }
  }

  // Counts each input record (and its partition) as it enters the topology: a terminal
  // branch of the source, so the key is not marked as changed (no repartition downstream).
  static final class MeterProcessor implements Processor<String, String, Void, Void> {
    private final Meter meter;
    private ProcessorContext<Void, Void> context;

    MeterProcessor(Meter meter) {
      this.meter = meter;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      this.context = context;
    }

    @Override
    public void process(Record<String, String> record) {
      meter.record(context.recordMetadata().map(m -> m.partition()).orElse(-1));
    }
  }

  // ---- Topologies ----

  static Topology build(Options o, Meter meter) {
    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, String> in =
        builder.stream(o.input, Consumed.with(Serdes.String(), Serdes.String()));
    in.process(() -> new MeterProcessor(meter));
    switch (o.topology) {
      case "passthrough" ->
          in.mapValues(v -> v == null ? null : v.toUpperCase(Locale.ROOT))
              .filter((k, v) -> v != null && !v.isEmpty())
              .to(o.output, Produced.with(Serdes.String(), Serdes.String()));
      case "count" ->
          in.groupByKey()
              .count(Materialized.as("counts"))
              .toStream()
              .to(o.output, Produced.with(Serdes.String(), Serdes.Long()));
      case "window" ->
          in.groupByKey()
              .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMinutes(1)))
              .count(Materialized.as("window-counts"))
              .toStream()
              .map((wk, n) -> KeyValue.pair(wk.key() + "@" + wk.window().start(), n))
              .to(o.output, Produced.with(Serdes.String(), Serdes.Long()));
      case "join" -> {
        KTable<String, String> table =
            builder.table(
                o.table,
                Consumed.with(Serdes.String(), Serdes.String()),
                Materialized.as("table"));
        in.join(table, (v, t) -> v + "|" + t)
            .to(o.output, Produced.with(Serdes.String(), Serdes.String()));
      }
      default -> throw new IllegalArgumentException(o.topology);
    }
    return builder.build();
  }

  // ---- Process figures ----

  static long peakRssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  static long cpuMs() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof OperatingSystemMXBean sun) return sun.getProcessCpuTime() / 1_000_000;
    return -1;
  }

  // ---- Main ----

  public static void main(String[] args) throws Exception {
    // Kafka's INFO logging is chatty; -Dorg.slf4j.simpleLogger.defaultLogLevel=info brings it back.
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage() + "\n" + USAGE);
      System.exit(1);
      return;
    }
    final long processStartMs = ManagementFactory.getRuntimeMXBean().getStartTime();
    final Stats stats = new Stats(o.statsFile);
    final Meter meter = new Meter(o.expectedRecords);

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, o.applicationId);
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, o.threads);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, o.commitIntervalMs);
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, o.cacheBytes);
    props.put(StreamsConfig.STATE_DIR_CONFIG, o.stateDir);
    props.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");
    if (!o.instanceId.isEmpty()) {
      props.put(StreamsConfig.consumerPrefix("group.instance.id"), o.instanceId);
    }
    props.putAll(o.sets);

    Map<String, Object> start = Stats.event("start");
    start.put("runtime", "kafka-streams");
    start.put("version", org.apache.kafka.common.utils.AppInfoParser.getVersion());
    start.put("topology", o.topology);
    start.put("application_id", o.applicationId);
    start.put("instance_id", o.instanceId);
    start.put("pid", ProcessHandle.current().pid());
    start.put("process_start_ms", processStartMs);
    start.put("threads", o.threads);
    start.put("commit_interval_ms", o.commitIntervalMs);
    start.put("cache_bytes", o.cacheBytes);
    start.put("cache_applied", true);
    start.put("input", o.input);
    start.put("output", o.output);
    start.put("table", o.table);
    start.put("expected_records", o.expectedRecords);
    start.put("leave_group_on_close", o.leaveGroupOnClose);
    start.put("drain_on_sigterm", false);
    stats.emit(start);

    final Topology topology = build(o, meter);
    final KafkaStreams streams = new KafkaStreams(topology, props);
    final AtomicLong rebalanceStartMs = new AtomicLong(-1);
    final AtomicLong runningSinceMs = new AtomicLong(-1);
    final AtomicLong rebalances = new AtomicLong();
    final AtomicLong restoredTotal = new AtomicLong();
    final CountDownLatch stop = new CountDownLatch(1);
    final String[] stopReason = {"signal"};

    streams.setStateListener(
        (now, before) -> {
          long ts = System.currentTimeMillis();
          Map<String, Object> e = Stats.event("state");
          e.put("from", before.name());
          e.put("to", now.name());
          stats.emit(e);
          if (now == KafkaStreams.State.REBALANCING) {
            rebalanceStartMs.compareAndSet(-1, ts);
          } else if (now == KafkaStreams.State.RUNNING) {
            runningSinceMs.compareAndSet(-1, ts);
            long began = rebalanceStartMs.getAndSet(-1);
            if (began >= 0) {
              rebalances.incrementAndGet();
              Map<String, Object> r = Stats.event("rebalance");
              r.put("started_ms", began);
              r.put("finished_ms", ts);
              r.put("duration_ms", ts - began);
              stats.emit(r);
            }
          } else if (now == KafkaStreams.State.ERROR) {
            stopReason[0] = "error";
            stop.countDown();
          }
        });

    final Map<String, Long> restoreStart = new ConcurrentHashMap<>();
    streams.setGlobalStateRestoreListener(
        new StateRestoreListener() {
          @Override
          public void onRestoreStart(TopicPartition tp, String store, long startOffset,
              long endOffset) {
            restoreStart.put(store + "/" + tp, System.currentTimeMillis());
            Map<String, Object> e = Stats.event("restore_start");
            e.put("store", store);
            e.put("topic", tp.topic());
            e.put("partition", tp.partition());
            e.put("start_offset", startOffset);
            e.put("end_offset", endOffset);
            stats.emit(e);
          }

          @Override
          public void onBatchRestored(TopicPartition tp, String store, long batchEndOffset,
              long numRestored) {
            restoredTotal.addAndGet(numRestored);
          }

          @Override
          public void onRestoreEnd(TopicPartition tp, String store, long totalRestored) {
            long ts = System.currentTimeMillis();
            Long began = restoreStart.remove(store + "/" + tp);
            Map<String, Object> e = Stats.event("restore");
            e.put("store", store);
            e.put("topic", tp.topic());
            e.put("partition", tp.partition());
            e.put("records", totalRestored);
            e.put("started_ms", began == null ? null : began);
            e.put("duration_ms", began == null ? null : ts - began);
            stats.emit(e);
          }
        });
    streams.setUncaughtExceptionHandler(
        e -> {
          System.err.println("stream thread failed: " + e);
          return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler
              .StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });

    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stop.countDown();
                  // Let main() close and write the end line before the JVM halts.
                  try {
                    Thread.sleep(o.closeTimeoutMs + 2000);
                  } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                  }
                },
                "peer-shutdown"));

    try {
      streams.start();
    } catch (RuntimeException e) {
      System.err.println("error: cannot start Kafka Streams: " + e);
      System.exit(1);
    }

    // Stats loop: first record, progress lines, idle exit.
    boolean firstReported = false;
    long lastStats = 0;
    while (!stop.await(Math.min(50, o.statsIntervalMs), TimeUnit.MILLISECONDS)) {
      long now = System.currentTimeMillis();
      if (!firstReported && meter.firstMs.get() >= 0) {
        firstReported = true;
        Map<String, Object> e = Stats.event("first_record");
        e.put("first_record_ms", meter.firstMs.get());
        e.put("since_process_start_ms", meter.firstMs.get() - processStartMs);
        stats.emit(e);
      }
      if (now - lastStats >= o.statsIntervalMs) {
        lastStats = now;
        Map<String, Object> e = Stats.event("progress");
        e.put("processed", meter.processed.get());
        e.put("state", streams.state().name());
        e.put("partitions", meter.partitions(true));
        stats.emit(e);
      }
      if (o.exitWhenIdleMs > 0) {
        // Idle since the last record or, before any, since the first RUNNING.
        long n = meter.processed.get();
        long last = meter.lastMs.get();
        long since = last >= 0 ? last : runningSinceMs.get();
        boolean enough = o.expectedRecords <= 0 || n >= o.expectedRecords;
        if (enough && since >= 0 && now - since >= o.exitWhenIdleMs) {
          stopReason[0] = "idle";
          break;
        }
      }
    }

    long closeStart = System.currentTimeMillis();
    boolean closed =
        o.leaveGroupOnClose
            ? streams.close(
                CloseOptions.groupMembershipOperation(
                        CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofMillis(o.closeTimeoutMs)))
            : streams.close(Duration.ofMillis(o.closeTimeoutMs));
    long endMs = System.currentTimeMillis();
    Map<String, Object> end = Stats.event("end");
    end.put("reason", stopReason[0]);
    end.put("state", streams.state().name());
    end.put("processed", meter.processed.get());
    end.put("first_record_ms", meter.firstMs.get() < 0 ? null : meter.firstMs.get());
    end.put("last_record_ms", meter.lastMs.get() < 0 ? null : meter.lastMs.get());
    end.put("expected_reached_ms",
        meter.expectedReachedMs.get() < 0 ? null : meter.expectedReachedMs.get());
    long first = meter.firstMs.get();
    long last = meter.lastMs.get();
    end.put("records_per_s",
        first >= 0 && last > first ? (double) meter.processed.get() * 1000.0 / (last - first)
            : null);
    end.put("rebalances", rebalances.get());
    end.put("restored", restoredTotal.get());
    end.put("process_start_ms", processStartMs);
    end.put("wall_ms", endMs - processStartMs);
    end.put("close_ms", endMs - closeStart);
    end.put("clean_close", closed);
    end.put("cpu_ms", cpuMs());
    end.put("peak_rss_kb", peakRssKb());
    end.put("partitions", meter.partitions(true));
    stats.emit(end);
    int code = stopReason[0].equals("error") ? 3 : closed ? 0 : 4;
    Runtime.getRuntime().halt(code);
  }
}
