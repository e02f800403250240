// Type erasure between the typed Processor API and the runtime (not for applications).
//
// A task instantiates one NodeInstance per node of its sub-topology. Records travel between
// nodes as `const void*` pointing at a Record<K, V>: the topology checked at build time that
// a parent's output types equal its children's input types, so each node casts back to the
// type it was built for. Forwarding costs one virtual call per child and no allocation.
//
// The runtime implements TaskServices (what contexts and sinks need from the task: stores,
// scheduling, output) and drives sources through SourceNodeBase: Load() deserializes a
// consumed record into the source's current record (a Status on failure, for the
// deserialization handler), ForwardLoaded() sends it down the graph.
//
// Errors: anything thrown by user code (processors, punctuators' forwards, serdes) and any
// failed Send of a sink leaves the node graph as a NodeFailure naming the innermost node
// that failed. NodeFailure deliberately does not derive from std::exception, so a processor
// that catches std::exception around Forward() does not swallow a failure of its children.
//
// Thread-safety: a node graph belongs to one task and is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "brook/internal/record_serde.h"
#include "brook/processor.h"
#include "brook/record.h"
#include "brook/status.h"

namespace brook::internal {

enum class NodeKind { kSource, kProcessor, kSink };

// "source", "processor", "sink".
std::string_view NodeKindName(NodeKind kind);

// A failure inside the node graph (see the header comment).
struct NodeFailure {
  std::string node;
  NodeKind kind = NodeKind::kProcessor;
  Status status;
};

// What a sink hands to the runtime. Views are valid during TaskServices::Send only.
struct SinkRecord {
  std::string_view topic;
  int32_t partition = -1;  // -1: the producer's partitioner chooses (by key)
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  int64_t timestamp_ms = 0;
  const Headers* headers = nullptr;
};

class NodeInstance;

// The in-flight exception (call inside a catch block) as a Status: brook::Error keeps its
// code and message; other std::exceptions become kInternal "<type>: <what>".
Status CurrentExceptionStatus();

// Implemented by the runtime's task.
class TaskServices {
 public:
  virtual ~TaskServices() = default;
  [[nodiscard]] virtual const std::string& application_id() const = 0;
  [[nodiscard]] virtual TaskId task_id() const = 0;
  [[nodiscard]] virtual int64_t system_time_ms() const = 0;
  virtual Cancellable Schedule(NodeInstance& node, int64_t interval_ms, PunctuationType type,
                               Punctuator fn) = 0;
  virtual void RequestCommit() = 0;
  // nullptr when the task has no store of that name and kind.
  [[nodiscard]] virtual state::KeyValueBytesStore* KeyValueStore(std::string_view name) = 0;
  [[nodiscard]] virtual state::WindowBytesStore* WindowStore(std::string_view name) = 0;
  [[nodiscard]] virtual state::SessionBytesStore* SessionStore(std::string_view name) = 0;
  // Sends a sink's record; non-OK fails the task.
  [[nodiscard]] virtual Status Send(const SinkRecord& record) = 0;
  // Partition count of an output topic, for sinks with a partitioner.
  [[nodiscard]] virtual Result<int32_t> PartitionCount(std::string_view topic) = 0;
  // Counts a record a processor dropped on purpose (ProcessingContext::RecordDropped).
  virtual void RecordDropped(std::string_view reason) = 0;

  // Per-record state the contexts read without a virtual call. The task sets them.
  const RecordMetadata* metadata = nullptr;  // nullptr inside a punctuation
  int64_t stream_time_ms = -1;
  // Timestamp of the record being processed by the current node (the punctuation's time
  // inside a punctuation): the timestamp of changelog records.
  int64_t current_timestamp_ms = -1;
};

class NodeInstance {
 public:
  NodeInstance(std::string name, NodeKind kind) : name_(std::move(name)), kind_(kind) {}
  NodeInstance(const NodeInstance&) = delete;
  NodeInstance& operator=(const NodeInstance&) = delete;
  virtual ~NodeInstance() = default;

  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] NodeKind kind() const { return kind_; }

  // Wiring by the task, once, before Init().
  void Bind(TaskServices& services, std::vector<NodeInstance*> children,
            std::vector<std::string> stores) {
    services_ = &services;
    children_ = std::move(children);
    stores_ = std::move(stores);
  }
  [[nodiscard]] TaskServices& services() const { return *services_; }
  [[nodiscard]] const std::vector<NodeInstance*>& children() const { return children_; }
  // The stores this node may use (processors only).
  [[nodiscard]] const std::vector<std::string>& stores() const { return stores_; }

  // Each may throw NodeFailure.
  virtual void Init() {}
  // `record` points at a Record<KIn, VIn> of this node's input types.
  virtual void Process(const void* record) = 0;
  virtual void Close() {}

 protected:
  [[noreturn]] void Fail(Status status) const {
    throw NodeFailure{name_, kind_, std::move(status)};
  }

  // Runs f; anything it throws leaves as a NodeFailure (one naming this node unless it
  // already names an inner one).
  template <typename F>
  void Guarded(F&& f) const {
    try {
      std::forward<F>(f)();
    } catch (const NodeFailure&) {
      throw;
    } catch (...) {
      Fail(CurrentExceptionStatus());
    }
  }

 private:
  std::string name_;
  NodeKind kind_;
  TaskServices* services_ = nullptr;
  std::vector<NodeInstance*> children_;
  std::vector<std::string> stores_;
};

// Sends `record` (a Record of the children's input type) to `children`, with the
// current-timestamp of the task set to the record's while they run.
inline void ForwardTo(TaskServices& services, const std::vector<NodeInstance*>& children,
                      const void* record, int64_t timestamp_ms) {
  const int64_t saved = services.current_timestamp_ms;
  services.current_timestamp_ms = timestamp_ms;
  for (NodeInstance* child : children) child->Process(record);
  services.current_timestamp_ms = saved;
}

// Error helpers (node.cc), each throws brook::Error with a message naming the node.
// Checks that `node` is connected to `store`.
void CheckStoreConnected(const NodeInstance& node, std::string_view store);
[[noreturn]] void ThrowWrongStoreKind(const NodeInstance& node, std::string_view store,
                                      std::string_view wanted_kind);
[[noreturn]] void ThrowUnknownChild(const NodeInstance& node, std::string_view child);
[[noreturn]] void ThrowBadInterval(const NodeInstance& node, int64_t interval_ms);
// "source '<node>': cannot deserialize <what> (<serde>): <message>", keeping the code.
Status DeserializationError(const Status& status, const NodeInstance& node, std::string_view what,
                            std::string_view serde);
// OK when `topic` is a legal Kafka topic name (1..249 of [a-zA-Z0-9._-], not "." or "..");
// otherwise kInvalidArgument saying what is wrong with it.
Status CheckTopicName(std::string_view topic);

// The ProcessingContext of one node; Base is ProcessorContext<KOut, VOut>.
template <typename Base>
class ContextImpl : public Base {
 public:
  explicit ContextImpl(NodeInstance& node) : node_(node) {}

  [[nodiscard]] const std::string& application_id() const override {
    return node_.services().application_id();
  }
  [[nodiscard]] TaskId task_id() const override { return node_.services().task_id(); }
  [[nodiscard]] const std::string& node_name() const override { return node_.name(); }
  [[nodiscard]] const RecordMetadata* record_metadata() const override {
    return node_.services().metadata;
  }
  [[nodiscard]] int64_t current_stream_time_ms() const override {
    return node_.services().stream_time_ms;
  }
  [[nodiscard]] int64_t current_system_time_ms() const override {
    return node_.services().system_time_ms();
  }
  Cancellable Schedule(std::chrono::milliseconds interval, PunctuationType type,
                       Punctuator fn) override {
    if (interval.count() < 1) ThrowBadInterval(node_, interval.count());
    return node_.services().Schedule(node_, interval.count(), type, std::move(fn));
  }
  void RequestCommit() override { node_.services().RequestCommit(); }
  void RecordDropped(std::string_view reason) override { node_.services().RecordDropped(reason); }

 protected:
  state::KeyValueBytesStore& KeyValueBytes(std::string_view name) override {
    CheckStoreConnected(node_, name);
    state::KeyValueBytesStore* s = node_.services().KeyValueStore(name);
    if (s == nullptr) ThrowWrongStoreKind(node_, name, "key-value");
    return *s;
  }
  state::WindowBytesStore& WindowBytes(std::string_view name) override {
    CheckStoreConnected(node_, name);
    state::WindowBytesStore* s = node_.services().WindowStore(name);
    if (s == nullptr) ThrowWrongStoreKind(node_, name, "window");
    return *s;
  }
  state::SessionBytesStore& SessionBytes(std::string_view name) override {
    CheckStoreConnected(node_, name);
    state::SessionBytesStore* s = node_.services().SessionStore(name);
    if (s == nullptr) ThrowWrongStoreKind(node_, name, "session");
    return *s;
  }

  NodeInstance& node_;  // the owning node
};

template <typename KOut, typename VOut>
class NodeContext final : public ContextImpl<ProcessorContext<KOut, VOut>> {
 public:
  using ContextImpl<ProcessorContext<KOut, VOut>>::ContextImpl;

  void Forward(const Record<KOut, VOut>& record) override {
    ForwardTo(this->node_.services(), this->node_.children(), &record, record.timestamp_ms);
  }
  void Forward(const Record<KOut, VOut>& record, std::string_view child_name) override {
    for (NodeInstance* child : this->node_.children()) {
      if (child->name() == child_name) {
        TaskServices& services = this->node_.services();
        const int64_t saved = services.current_timestamp_ms;
        services.current_timestamp_ms = record.timestamp_ms;
        child->Process(&record);
        services.current_timestamp_ms = saved;
        return;
      }
    }
    ThrowUnknownChild(this->node_, child_name);
  }
};

template <typename KOut, typename VOut>
using ContextFor =
    std::conditional_t<std::is_void_v<KOut>, ContextImpl<ProcessorContext<void, void>>,
                       NodeContext<KOut, VOut>>;

template <typename KIn, typename VIn, typename KOut, typename VOut>
class ProcessorNode final : public NodeInstance {
 public:
  using ProcessorType = Processor<KIn, VIn, KOut, VOut>;

  ProcessorNode(std::string name, std::unique_ptr<ProcessorType> processor)
      : NodeInstance(std::move(name), NodeKind::kProcessor),
        processor_(std::move(processor)),
        context_(*this) {}

  void Init() override {
    Guarded([this] { processor_->Init(context_); });
  }
  void Process(const void* record) override {
    Guarded([this, record] { processor_->Process(*static_cast<const Record<KIn, VIn>*>(record)); });
  }
  void Close() override {
    Guarded([this] { processor_->Close(); });
  }

 private:
  std::unique_ptr<ProcessorType> processor_;
  ContextFor<KOut, VOut> context_;
};

// A consumed record as the task hands it to a source. The source moves the headers out.
struct RawRecord {
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  int64_t timestamp_ms = 0;
  Headers* headers = nullptr;
};

class SourceNodeBase : public NodeInstance {
 public:
  explicit SourceNodeBase(std::string name) : NodeInstance(std::move(name), NodeKind::kSource) {}
  // Deserializes raw into the current record; the error names the source, key or value
  // and the serde. Does not throw.
  [[nodiscard]] virtual Status Load(RawRecord& raw) = 0;
  // Forwards the loaded record to the children; may throw NodeFailure.
  virtual void ForwardLoaded() = 0;
  void Process(const void* /*record*/) override {
    Fail(Status::Internal("a source node has no parents"));
  }
};

template <typename K, typename V, typename KS, typename VS>
requires RecordSerdeFor<KS, K> && RecordSerdeFor<VS, V>
class SourceNode final : public SourceNodeBase {
 public:
  SourceNode(std::string name, KS key_serde, VS value_serde)
      : SourceNodeBase(std::move(name)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)) {}

  Status Load(RawRecord& raw) override {
    try {
      Result<K> key = DeserializeNullable<K>(key_serde_, raw.key);
      if (!key.ok()) return DeserializationError(key.status(), *this, "key", KS::kName);
      Result<V> value = DeserializeNullable<V>(value_serde_, raw.value);
      if (!value.ok()) return DeserializationError(value.status(), *this, "value", VS::kName);
      record_.key = std::move(key).value();
      record_.value = std::move(value).value();
    } catch (const std::exception& e) {  // a serde that throws despite the contract
      return DeserializationError(Status::InvalidArgument(e.what()), *this, "record",
                                  "serde threw");
    }
    record_.timestamp_ms = raw.timestamp_ms;
    if (raw.headers != nullptr) {
      record_.headers = std::move(*raw.headers);
    } else {
      record_.headers.clear();
    }
    return Status::Ok();
  }
  void ForwardLoaded() override {
    ForwardTo(services(), children(), &record_, record_.timestamp_ms);
  }

 private:
  KS key_serde_;
  VS value_serde_;
  Record<K, V> record_;
};

// Kafka Streams' StreamPartitioner: the partition of `topic` (num_partitions of them) for a
// record, or nullopt for the producer's default (by key). See Topology::AddSink.
template <typename K, typename V>
using StreamPartitioner = std::function<std::optional<int32_t>(
    std::string_view topic, const K& key, const V& value, int32_t num_partitions)>;

// Kafka Streams' TopicNameExtractor: the topic a sink writes a record to, chosen per record.
// See Topology::AddSink.
template <typename K, typename V>
using TopicNameExtractor =
    std::function<std::string(const K& key, const V& value, const RecordContext& context)>;

// Where a sink writes: a fixed topic (an internal one is "<application.id>-<topic>", known
// in Init()), or the topic its extractor names per record.
template <typename K, typename V>
struct SinkTarget {
  std::string topic;  // as declared; empty with an extractor
  bool internal = false;
  TopicNameExtractor<K, V> extractor;
};

template <typename K, typename V, typename KS, typename VS>
requires RecordSerdeFor<KS, K> && RecordSerdeFor<VS, V>
class SinkNode final : public NodeInstance {
 public:
  SinkNode(std::string name, SinkTarget<K, V> target, KS key_serde, VS value_serde,
           StreamPartitioner<K, V> partitioner)
      : NodeInstance(std::move(name), NodeKind::kSink),
        topic_(std::move(target.topic)),
        internal_(target.internal),
        extractor_(std::move(target.extractor)),
        key_serde_(std::move(key_serde)),
        value_serde_(std::move(value_serde)),
        partitioner_(std::move(partitioner)) {}

  void Init() override {
    if (internal_) topic_ = services().application_id() + "-" + topic_;
  }
  void Process(const void* record) override {
    Guarded([this, record] {
      const auto& r = *static_cast<const Record<K, V>*>(record);
      if (extractor_) {
        Send(r, Extract(r));
      } else {
        Send(r, topic_);
      }
    });
  }

 private:
  std::string Extract(const Record<K, V>& record) {
    RecordContext context{.timestamp_ms = record.timestamp_ms, .headers = &record.headers};
    if (const RecordMetadata* md = services().metadata) {
      context.topic = md->topic;
      context.partition = md->partition;
      context.offset = md->offset;
    }
    std::string topic = extractor_(record.key, record.value, context);
    const Status valid = CheckTopicName(topic);
    if (!valid.ok()) Fail(valid.WithContext("the topic name extractor returned an unusable name"));
    return topic;
  }
  void Send(const Record<K, V>& record, const std::string& topic) {
    if (record.timestamp_ms < 0) {
      Fail(Status::InvalidArgument("topic '" + topic + "': invalid (negative) timestamp " +
                                   std::to_string(record.timestamp_ms)));
    }
    const std::optional<std::string> key = SerializeNullable<K>(key_serde_, record.key);
    const std::optional<std::string> value = SerializeNullable<V>(value_serde_, record.value);
    int32_t partition = -1;
    if (partitioner_) partition = Partition(record, topic);
    SinkRecord out{.topic = topic,
                   .partition = partition,
                   .timestamp_ms = record.timestamp_ms,
                   .headers = &record.headers};
    if (key) out.key = *key;
    if (value) out.value = *value;
    const Status s = services().Send(out);
    if (!s.ok()) Fail(s.WithContext("topic '" + topic + "'"));
  }
  int32_t Partition(const Record<K, V>& record, const std::string& topic) {
    Result<int32_t> count = services().PartitionCount(topic);
    if (!count.ok()) Fail(count.status().WithContext("topic '" + topic + "'"));
    const std::optional<int32_t> p = partitioner_(topic, record.key, record.value, *count);
    if (!p) return -1;
    if (*p < 0 || *p >= *count) {
      Fail(Status::InvalidArgument("partitioner chose partition " + std::to_string(*p) +
                                   " of topic '" + topic + "', which has " +
                                   std::to_string(*count) + " partitions"));
    }
    return *p;
  }

  std::string topic_;  // the full name after Init()
  bool internal_;
  TopicNameExtractor<K, V> extractor_;
  KS key_serde_;
  VS value_serde_;
  StreamPartitioner<K, V> partitioner_;
};

}  // namespace brook::internal
