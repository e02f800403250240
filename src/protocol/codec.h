// Kafka wire-protocol primitives: a bounds-checked Reader over a byte span and a Writer that
// appends to a caller-owned std::vector<uint8_t> or std::string.
//
// Contract: integers are big-endian; "compact" encodings (flexible versions) use an unsigned
// varint N+1 length where 0 means null; classic encodings use an int16 (strings) or int32
// (bytes, arrays) length where -1 means null. Every Read* returns a Result/Status and never
// reads past the end of the span; a length is checked against the bytes that remain before
// anything is allocated, so hostile input cannot make the Reader allocate more than a small
// multiple of its own size. Varints longer than 5 (int32) or 10 (int64) bytes, negative lengths
// other than the null marker and strings longer than 32767 bytes are errors. Errors are
// kCorruption (decode) or kInvalidArgument (encode) and read
//   "field members[2].metadata: need 1024 bytes at offset 88, have 12"
// where the path comes from the PathScope frames the caller pushed and the offset counts from
// the start of the Reader's span. After an error a Reader's position is unspecified and a
// Writer may hold a partial value (the message-level Encode functions truncate it away).
//
// Thread-safety: Reader and Writer are single-threaded values; distinct objects may be used
// from distinct threads. The Reader does not own its bytes: they must outlive it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "brook/status.h"

namespace brook::protocol {

using Bytes = std::vector<uint8_t>;
using Uuid = std::array<uint8_t, 16>;

// Longest string Kafka will read or write (its generated code rejects longer ones, even in
// compact encodings).
inline constexpr size_t kMaxStringLength = 0x7fff;

// The path of the field being read or written, e.g. "members[2].metadata". Frames refer to
// string literals (or other strings that outlive the frame).
class FieldPath {
 public:
  static constexpr int64_t kNoIndex = -1;

  void Push(std::string_view name, int64_t index) { frames_.push_back({name, index}); }
  void Pop() { frames_.pop_back(); }
  [[nodiscard]] size_t depth() const { return frames_.size(); }
  // "<frames>.<field>"; either part may be empty.
  [[nodiscard]] std::string Format(std::string_view field) const;

 private:
  struct Frame {
    std::string_view name;
    int64_t index;
  };
  std::vector<Frame> frames_;
};

// Pushes one frame ("members", 2) for the lifetime of the scope.
class PathScope {
 public:
  PathScope(FieldPath& path, std::string_view name, int64_t index = FieldPath::kNoIndex)
      : path_(path) {
    path_.Push(name, index);
  }
  ~PathScope() { path_.Pop(); }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;

 private:
  FieldPath& path_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data), end_(data.size()) {}

  // Position from the start of the span.
  [[nodiscard]] size_t offset() const { return pos_; }
  // Bytes left before the current limit (the end of the span, or of a tagged field).
  [[nodiscard]] size_t remaining() const { return end_ - pos_; }
  [[nodiscard]] FieldPath& path() { return path_; }

  Result<int8_t> ReadInt8(std::string_view field);
  Result<int16_t> ReadInt16(std::string_view field);
  Result<int32_t> ReadInt32(std::string_view field);
  Result<int64_t> ReadInt64(std::string_view field);
  Result<uint16_t> ReadUint16(std::string_view field);
  Result<uint32_t> ReadUint32(std::string_view field);
  Result<double> ReadFloat64(std::string_view field);
  // Any non-zero byte is true, as in Kafka.
  Result<bool> ReadBool(std::string_view field);
  Result<Uuid> ReadUuid(std::string_view field);
  // At most 5 bytes and 32 bits.
  Result<uint32_t> ReadUnsignedVarint(std::string_view field);
  // Zigzag varint (at most 5 bytes) and varlong (at most 10 bytes).
  Result<int32_t> ReadVarint(std::string_view field);
  Result<int64_t> ReadVarlong(std::string_view field);

  // int16 length; -1 (null) is an error for the non-nullable form.
  Result<std::string> ReadString(std::string_view field);
  Result<std::optional<std::string>> ReadNullableString(std::string_view field);
  // Unsigned varint length + 1; 0 (null) is an error for the non-nullable form.
  Result<std::string> ReadCompactString(std::string_view field);
  Result<std::optional<std::string>> ReadCompactNullableString(std::string_view field);

  // int32 length.
  Result<Bytes> ReadBytes(std::string_view field);
  Result<std::optional<Bytes>> ReadNullableBytes(std::string_view field);
  // Unsigned varint length + 1.
  Result<Bytes> ReadCompactBytes(std::string_view field);
  Result<std::optional<Bytes>> ReadCompactNullableBytes(std::string_view field);

  // Array element counts: nullopt is the null array. The count is rejected unless
  // count * min_element_size bytes remain (min_element_size is at least 1).
  Result<std::optional<size_t>> ReadArrayLength(std::string_view field, size_t min_element_size);
  Result<std::optional<size_t>> ReadCompactArrayLength(std::string_view field,
                                                       size_t min_element_size);

  Status Skip(std::string_view field, size_t n);

  // Reads a tagged-fields section: an unsigned varint count, then per field an unsigned
  // varint tag, an unsigned varint size and size bytes. on_tag(tag, reader) is called with
  // the reader limited to the field's bytes and returns Result<bool>: true if it decoded the
  // field (it must consume exactly size bytes), false to skip it (unknown tag).
  template <typename OnTag>
  Status ReadTaggedFields(OnTag&& on_tag);
  // A tagged-fields section where no tag is known: every field is skipped.
  Status SkipTaggedFields();

  // OK when every byte was consumed, otherwise "N trailing bytes at offset X".
  Status ExpectEnd() const;

  // kCorruption "field <path>.<field>: <what>".
  [[nodiscard]] Status Error(std::string_view field, std::string_view what) const;

 private:
  Status Need(std::string_view field, size_t n) const;
  // unit 0: length counts bytes; unit > 0: length counts elements of at least unit bytes.
  Result<std::optional<size_t>> CheckLength(std::string_view field, int64_t length, bool nullable,
                                            size_t max, size_t unit);
  std::string TakeString(size_t n);
  Bytes TakeBytes(size_t n);
  Status EnterTaggedField(std::string_view field, size_t size, size_t* saved_end);
  Status LeaveTaggedField(uint32_t tag, bool handled, size_t start, size_t saved_end);

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  size_t end_;
  FieldPath path_;
};

class Writer {
 public:
  // Appends to *out, which must outlive the Writer.
  explicit Writer(std::vector<uint8_t>* out) : vec_(out) {}
  explicit Writer(std::string* out) : str_(out) {}

  // Bytes in the underlying buffer (including what was there before the Writer).
  [[nodiscard]] size_t size() const { return vec_ != nullptr ? vec_->size() : str_->size(); }
  // Shrinks the underlying buffer back to n bytes (n <= size()).
  void Truncate(size_t n);
  [[nodiscard]] FieldPath& path() { return path_; }

  void WriteInt8(int8_t v);
  void WriteInt16(int16_t v);
  void WriteInt32(int32_t v);
  void WriteInt64(int64_t v);
  void WriteUint16(uint16_t v);
  void WriteUint32(uint32_t v);
  void WriteFloat64(double v);
  void WriteBool(bool v);
  void WriteUuid(const Uuid& v);
  void WriteUnsignedVarint(uint32_t v);
  void WriteVarint(int32_t v);
  void WriteVarlong(int64_t v);
  void WriteRaw(std::span<const uint8_t> bytes);

  // Strings longer than kMaxStringLength are errors.
  Status WriteString(std::string_view field, std::string_view v);
  Status WriteNullableString(std::string_view field, const std::optional<std::string>& v);
  Status WriteCompactString(std::string_view field, std::string_view v);
  Status WriteCompactNullableString(std::string_view field, const std::optional<std::string>& v);

  Status WriteBytes(std::string_view field, std::span<const uint8_t> v);
  Status WriteNullableBytes(std::string_view field, const std::optional<Bytes>& v);
  Status WriteCompactBytes(std::string_view field, std::span<const uint8_t> v);
  Status WriteCompactNullableBytes(std::string_view field, const std::optional<Bytes>& v);

  // nullopt writes the null array.
  Status WriteArrayLength(std::string_view field, std::optional<size_t> count);
  Status WriteCompactArrayLength(std::string_view field, std::optional<size_t> count);

  // kInvalidArgument "field <path>.<field>: <what>".
  [[nodiscard]] Status Error(std::string_view field, std::string_view what) const;

 private:
  void Append(const uint8_t* p, size_t n);
  Status CheckStringLength(std::string_view field, size_t n) const;
  Status CheckInt32Length(std::string_view field, size_t n) const;

  std::vector<uint8_t>* vec_ = nullptr;
  std::string* str_ = nullptr;
  FieldPath path_;
};

template <typename OnTag>
Status Reader::ReadTaggedFields(OnTag&& on_tag) {
  BROOK_ASSIGN_OR_RETURN(const uint32_t count, ReadUnsignedVarint("tagged_fields"));
  // Each tagged field takes at least two bytes (tag and size).
  if (count > remaining() / 2) {
    return Error("tagged_fields", std::to_string(count) + " tagged fields cannot fit in the " +
                                      std::to_string(remaining()) + " bytes left");
  }
  for (uint32_t i = 0; i < count; ++i) {
    BROOK_ASSIGN_OR_RETURN(const uint32_t tag, ReadUnsignedVarint("tagged_fields.tag"));
    BROOK_ASSIGN_OR_RETURN(const uint32_t size, ReadUnsignedVarint("tagged_fields.size"));
    size_t saved_end = 0;
    BROOK_RETURN_IF_ERROR(EnterTaggedField("tagged_fields", size, &saved_end));
    const size_t start = pos_;
    Result<bool> handled = on_tag(tag, *this);
    if (!handled.ok()) {
      end_ = saved_end;
      return handled.status();
    }
    BROOK_RETURN_IF_ERROR(LeaveTaggedField(tag, *handled, start, saved_end));
  }
  return Status::Ok();
}

// Printing helpers used by the generated operator<< of every message (for logs and test
// failure output). Bytes print as hex (at most 64 bytes shown), strings quoted.
namespace internal {
void PrintValue(std::ostream& os, int8_t v);
void PrintValue(std::ostream& os, int16_t v);
void PrintValue(std::ostream& os, int32_t v);
void PrintValue(std::ostream& os, int64_t v);
void PrintValue(std::ostream& os, uint16_t v);
void PrintValue(std::ostream& os, uint32_t v);
void PrintValue(std::ostream& os, double v);
void PrintValue(std::ostream& os, bool v);
void PrintValue(std::ostream& os, const Uuid& v);
void PrintValue(std::ostream& os, const std::string& v);
void PrintValue(std::ostream& os, const Bytes& v);
// Declared before they are defined so that they find each other for nested types.
template <typename T>
void PrintValue(std::ostream& os, const T& v);
template <typename T>
void PrintValue(std::ostream& os, const std::optional<T>& v);
template <typename T>
void PrintValue(std::ostream& os, const std::vector<T>& v);

template <typename T>
void PrintValue(std::ostream& os, const T& v) {
  os << v;
}
template <typename T>
void PrintValue(std::ostream& os, const std::optional<T>& v) {
  if (v.has_value()) {
    PrintValue(os, *v);
  } else {
    os << "null";
  }
}
template <typename T>
void PrintValue(std::ostream& os, const std::vector<T>& v) {
  os << '[';
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) os << ", ";
    PrintValue(os, v[i]);
  }
  os << ']';
}
}  // namespace internal

}  // namespace brook::protocol
