// The Processor API (Kafka Streams' processor.api): a Processor<KIn, VIn, KOut, VOut>
// receives typed records one at a time, may read and write the state stores it is connected
// to, schedule punctuations, and forward records of its output types to its children
// through its ProcessorContext<KOut, VOut>. A Topology (topology.h) wires processors,
// sources, sinks and stores; the runtime runs one instance of each processor per task.
//
// Contract:
//  * Lifecycle per task: the supplier creates the processor, then Init(context) (the context
//    stays valid until Close()), then Process() for each record, then Close(). Processors
//    are re-created from the supplier when a task is resumed.
//  * Errors: a processor reports failure by throwing (any std::exception; brook::Error keeps
//    its code). The runtime fails the task with a Status naming the processor and the
//    record's topic, partition and offset. Store views and contexts throw brook::Error.
//  * Forwarding is synchronous: Forward() returns after every child (and their children)
//    processed the record. A forwarded record keeps whatever timestamp and headers it has
//    (a record built with With*() from the input keeps the input's).
//  * Stores: GetKeyValueStore/GetWindowStore/GetSessionStore give the store's bytes layer or,
//    with template arguments, a typed view (state/typed_views.h). Asking for a store the
//    processor is not connected to (Topology::AddStateStore, ConnectProcessorAndStateStores)
//    or of another kind throws brook::Error naming the processor and the store.
//  * Punctuation: Schedule(interval, type, fn) calls fn(t) periodically until cancelled or
//    the task is suspended. Schedule points are multiples of the interval counted from 0
//    (stream time) or from the wall-clock time of the Schedule() call. When time reaches or
//    passes the next point, fn runs ONCE with t = the latest point reached (points skipped
//    by a jump in time are not replayed); the next point is t + interval. Stream time is
//    the largest record timestamp the task has seen; stream-time punctuation runs right
//    after the record that moved it. NOTE: Kafka Streams passes the current stream time
//    or wall-clock time instead of the schedule point. Inside a punctuation,
//    record_metadata() is nullptr and forwarded records carry the timestamps you set.
//
// Thread-safety: a processor instance and its context are used by one thread at a time
// (the stream thread owning the task); processors need no locking.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "brook/ids.h"
#include "brook/record.h"
#include "brook/state/key_value_store.h"
#include "brook/state/serde.h"
#include "brook/state/session_store.h"
#include "brook/state/typed_views.h"
#include "brook/state/window_store.h"

namespace brook {

enum class PunctuationType {
  kStreamTime,     // driven by record timestamps (stream time)
  kWallClockTime,  // driven by the system clock
};

namespace internal {
struct ScheduleState {
  bool cancelled = false;
};
}  // namespace internal

// A handle to a scheduled punctuation. Copies share the schedule; a default-constructed
// handle refers to none.
class Cancellable {
 public:
  Cancellable() = default;
  explicit Cancellable(std::shared_ptr<internal::ScheduleState> state) : state_(std::move(state)) {}
  // Stops the punctuation; it never fires again (also when called from within it).
  void Cancel() {
    if (state_) state_->cancelled = true;
  }
  [[nodiscard]] bool cancelled() const { return state_ && state_->cancelled; }

 private:
  std::shared_ptr<internal::ScheduleState> state_;
};

// Called with the schedule point (ms) reached; see the header comment.
using Punctuator = std::function<void(int64_t timestamp_ms)>;

// What every processor's context offers, whatever its output types.
class ProcessingContext {
 public:
  virtual ~ProcessingContext() = default;

  [[nodiscard]] virtual const std::string& application_id() const = 0;
  [[nodiscard]] virtual TaskId task_id() const = 0;
  // The processor's node name.
  [[nodiscard]] virtual const std::string& node_name() const = 0;
  // Topic, partition and offset of the input record being processed; nullptr inside a
  // punctuation. Valid during the current Process() call.
  [[nodiscard]] virtual const RecordMetadata* record_metadata() const = 0;
  // The task's stream time (largest record timestamp seen), -1 before the first record.
  [[nodiscard]] virtual int64_t current_stream_time_ms() const = 0;
  // Wall-clock time in ms since the epoch (the test driver's mock clock in tests).
  [[nodiscard]] virtual int64_t current_system_time_ms() const = 0;

  // Schedules fn every `interval` (>= 1 ms; otherwise throws kInvalidArgument).
  virtual Cancellable Schedule(std::chrono::milliseconds interval, PunctuationType type,
                               Punctuator fn) = 0;
  // Asks the runtime to commit the task soon (after the current record).
  virtual void RequestCommit() = 0;
  // Reports a record this processor drops on purpose (Kafka Streams' dropped-records
  // sensor): a record later than the grace period, a null key in an aggregation, ... The
  // task counts it in total and per reason; the counts show in Streams::status() (per task
  // and summed) and in TopologyTestDriver::DroppedRecords(). Use a short fixed reason
  // ("late", "null-key"), not a per-record message: every distinct reason keeps a counter.
  // Cheap (no lock, no allocation after a reason's first use); never throws.
  virtual void RecordDropped(std::string_view reason) = 0;

  // The bytes layer of a connected store (see the header comment for errors).
  state::KeyValueBytesStore& GetKeyValueStore(std::string_view name) { return KeyValueBytes(name); }
  state::WindowBytesStore& GetWindowStore(std::string_view name) { return WindowBytes(name); }
  state::SessionBytesStore& GetSessionStore(std::string_view name) { return SessionBytes(name); }

  // Typed views of a connected store: GetKeyValueStore<std::string, int64_t>("counts").
  template <typename K, typename V, typename KS = state::DefaultSerde<K>,
            typename VS = state::DefaultSerde<V>>
  state::KeyValueStore<K, V, KS, VS> GetKeyValueStore(std::string_view name, KS key_serde = KS(),
                                                      VS value_serde = VS()) {
    return state::KeyValueStore<K, V, KS, VS>(KeyValueBytes(name), std::move(key_serde),
                                              std::move(value_serde));
  }
  template <typename K, typename V, typename KS = state::DefaultSerde<K>,
            typename VS = state::DefaultSerde<V>>
  state::WindowStore<K, V, KS, VS> GetWindowStore(std::string_view name, KS key_serde = KS(),
                                                  VS value_serde = VS()) {
    return state::WindowStore<K, V, KS, VS>(WindowBytes(name), std::move(key_serde),
                                            std::move(value_serde));
  }
  template <typename K, typename V, typename KS = state::DefaultSerde<K>,
            typename VS = state::DefaultSerde<V>>
  state::SessionStore<K, V, KS, VS> GetSessionStore(std::string_view name, KS key_serde = KS(),
                                                    VS value_serde = VS()) {
    return state::SessionStore<K, V, KS, VS>(SessionBytes(name), std::move(key_serde),
                                             std::move(value_serde));
  }

 protected:
  // Resolve a connected store or throw brook::Error.
  virtual state::KeyValueBytesStore& KeyValueBytes(std::string_view name) = 0;
  virtual state::WindowBytesStore& WindowBytes(std::string_view name) = 0;
  virtual state::SessionBytesStore& SessionBytes(std::string_view name) = 0;
};

// The context of a processor that forwards Record<KOut, VOut>.
template <typename KOut, typename VOut>
class ProcessorContext : public ProcessingContext {
 public:
  // Sends the record to every child, in the order they were added to the topology.
  virtual void Forward(const Record<KOut, VOut>& record) = 0;
  // Sends the record to the named child only; throws brook::Error naming this processor
  // when it has no such child.
  virtual void Forward(const Record<KOut, VOut>& record, std::string_view child_name) = 0;
};

// A terminal processor (KOut = VOut = void) cannot forward.
template <>
class ProcessorContext<void, void> : public ProcessingContext {};

template <typename KIn, typename VIn, typename KOut = void, typename VOut = void>
class Processor {
  static_assert(std::is_void_v<KOut> == std::is_void_v<VOut>,
                "a processor forwards records with both a key and a value type, or nothing");

 public:
  using KeyIn = KIn;
  using ValueIn = VIn;
  using KeyOut = KOut;
  using ValueOut = VOut;
  using Context = ProcessorContext<KOut, VOut>;

  Processor() = default;
  Processor(const Processor&) = delete;
  Processor& operator=(const Processor&) = delete;
  virtual ~Processor() = default;

  // Called once before the first record; keep the context to forward, schedule and reach
  // stores. Default: nothing.
  virtual void Init(Context& context) { (void)context; }
  virtual void Process(const Record<KIn, VIn>& record) = 0;
  // Called when the task is suspended or closed. Default: nothing.
  virtual void Close() {}
};

// A Processor that keeps its context (Kafka Streams' ContextualProcessor). A subclass that
// overrides Init must call ContextualProcessor::Init first.
template <typename KIn, typename VIn, typename KOut = void, typename VOut = void>
class ContextualProcessor : public Processor<KIn, VIn, KOut, VOut> {
 public:
  using Context = typename Processor<KIn, VIn, KOut, VOut>::Context;
  void Init(Context& context) override { context_ = &context; }

 protected:
  // Preconditions: Init() was called.
  [[nodiscard]] Context& context() const { return *context_; }

 private:
  Context* context_ = nullptr;
};

}  // namespace brook
