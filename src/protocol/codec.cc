#include "protocol/codec.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

namespace brook::protocol {

namespace {

constexpr size_t kMaxInt32Length = static_cast<size_t>(std::numeric_limits<int32_t>::max());

template <typename U>
U LoadBigEndian(const uint8_t* p) {
  U v = 0;
  for (size_t i = 0; i < sizeof(U); ++i) v = static_cast<U>((v << 8) | p[i]);
  return v;
}

std::string Plural(size_t n, std::string_view unit) {
  std::string s = std::to_string(n);
  s += ' ';
  s += unit;
  if (n != 1) s += 's';
  return s;
}

}  // namespace

std::string FieldPath::Format(std::string_view field) const {
  std::string out;
  for (const Frame& f : frames_) {
    if (!out.empty() && !f.name.empty()) out += '.';
    out += f.name;
    if (f.index != kNoIndex) {
      out += '[';
      out += std::to_string(f.index);
      out += ']';
    }
  }
  if (!field.empty()) {
    if (!out.empty()) out += '.';
    out += field;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Reader

Status Reader::Error(std::string_view field, std::string_view what) const {
  std::string m = "field ";
  m += path_.Format(field);
  m += ": ";
  m += what;
  return Status::Corruption(std::move(m));
}

Status Reader::Need(std::string_view field, size_t n) const {
  if (n <= remaining()) return Status::Ok();
  return Error(field, "need " + Plural(n, "byte") + " at offset " + std::to_string(pos_) +
                          ", have " + std::to_string(remaining()));
}

Result<int8_t> Reader::ReadInt8(std::string_view field) {
  BROOK_RETURN_IF_ERROR(Need(field, 1));
  return static_cast<int8_t>(data_[pos_++]);
}

Result<int16_t> Reader::ReadInt16(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const uint16_t v, ReadUint16(field));
  return static_cast<int16_t>(v);
}

Result<int32_t> Reader::ReadInt32(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const uint32_t v, ReadUint32(field));
  return static_cast<int32_t>(v);
}

Result<int64_t> Reader::ReadInt64(std::string_view field) {
  BROOK_RETURN_IF_ERROR(Need(field, 8));
  const auto v = LoadBigEndian<uint64_t>(data_.data() + pos_);
  pos_ += 8;
  return static_cast<int64_t>(v);
}

Result<uint16_t> Reader::ReadUint16(std::string_view field) {
  BROOK_RETURN_IF_ERROR(Need(field, 2));
  const auto v = LoadBigEndian<uint16_t>(data_.data() + pos_);
  pos_ += 2;
  return v;
}

Result<uint32_t> Reader::ReadUint32(std::string_view field) {
  BROOK_RETURN_IF_ERROR(Need(field, 4));
  const auto v = LoadBigEndian<uint32_t>(data_.data() + pos_);
  pos_ += 4;
  return v;
}

Result<double> Reader::ReadFloat64(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const int64_t bits, ReadInt64(field));
  return std::bit_cast<double>(bits);
}

Result<bool> Reader::ReadBool(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const int8_t v, ReadInt8(field));
  return v != 0;
}

Result<Uuid> Reader::ReadUuid(std::string_view field) {
  BROOK_RETURN_IF_ERROR(Need(field, 16));
  Uuid u{};
  std::memcpy(u.data(), data_.data() + pos_, u.size());
  pos_ += u.size();
  return u;
}

Result<uint32_t> Reader::ReadUnsignedVarint(std::string_view field) {
  const size_t start = pos_;
  uint32_t value = 0;
  for (int i = 0; i < 5; ++i) {
    BROOK_RETURN_IF_ERROR(Need(field, 1));
    const uint8_t b = data_[pos_++];
    if (i == 4 && b > 0x0f) {
      return Error(field, "unsigned varint at offset " + std::to_string(start) +
                              ((b & 0x80) != 0 ? " is longer than 5 bytes" : " overflows 32 bits"));
    }
    value |= static_cast<uint32_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) return value;
  }
  return value;  // Unreachable: the fifth byte either ends the varint or is rejected.
}

Result<int64_t> Reader::ReadVarlong(std::string_view field) {
  const size_t start = pos_;
  uint64_t raw = 0;
  for (int i = 0; i < 10; ++i) {
    BROOK_RETURN_IF_ERROR(Need(field, 1));
    const uint8_t b = data_[pos_++];
    if (i == 9 && b > 0x01) {
      return Error(field,
                   "varlong at offset " + std::to_string(start) +
                       ((b & 0x80) != 0 ? " is longer than 10 bytes" : " overflows 64 bits"));
    }
    raw |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) break;
  }
  return static_cast<int64_t>((raw >> 1) ^ (~(raw & 1) + 1));
}

Result<int32_t> Reader::ReadVarint(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const uint32_t raw, ReadUnsignedVarint(field));
  return static_cast<int32_t>((raw >> 1) ^ (~(raw & 1) + 1));
}

Result<std::optional<size_t>> Reader::CheckLength(std::string_view field, int64_t length,
                                                  bool nullable, size_t max, size_t unit) {
  if (length == -1) {
    if (nullable) return std::optional<size_t>();
    return Error(field,
                 "null at offset " + std::to_string(pos_) + " but the field is not nullable");
  }
  if (length < 0) {
    return Error(field, "invalid length " + std::to_string(length) + " before offset " +
                            std::to_string(pos_));
  }
  const auto n = static_cast<uint64_t>(length);
  if (n > max) {
    return Error(field, "length " + std::to_string(n) + " before offset " + std::to_string(pos_) +
                            " exceeds the maximum " + std::to_string(max));
  }
  if (unit > 0) {
    if (n > remaining() / unit) {
      return Error(field, "array of " + Plural(n, "element") + " needs at least " +
                              Plural(n * unit, "byte") + " at offset " + std::to_string(pos_) +
                              ", have " + std::to_string(remaining()));
    }
  } else {
    BROOK_RETURN_IF_ERROR(Need(field, n));
  }
  return std::optional<size_t>(static_cast<size_t>(n));
}

std::string Reader::TakeString(size_t n) {
  std::string s(reinterpret_cast<const char*>(data_.data() + pos_), n);
  pos_ += n;
  return s;
}

Bytes Reader::TakeBytes(size_t n) {
  const auto begin = data_.begin() + static_cast<std::ptrdiff_t>(pos_);
  Bytes b(begin, begin + static_cast<std::ptrdiff_t>(n));
  pos_ += n;
  return b;
}

Result<std::string> Reader::ReadString(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const int16_t len, ReadInt16(field));
  BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> n,
                         CheckLength(field, len, false, kMaxStringLength, 0));
  return TakeString(*n);
}

Result<std::optional<std::string>> Reader::ReadNullableString(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const int16_t len, ReadInt16(field));
  BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> n,
                         CheckLength(field, len, true, kMaxStringLength, 0));
  if (!n.has_value()) return std::optional<std::string>();
  return std::optional<std::string>(TakeString(*n));
}

Result<std::string> Reader::ReadCompactString(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const uint32_t len, ReadUnsignedVarint(field));
  BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> n,
                         CheckLength(field, int64_t{len} - 1, false, kMaxStringLength, 0));
  return TakeString(*n);
}

Result<std::optional<std::string>> Reader::ReadCompactNullableString(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const uint32_t len, ReadUnsignedVarint(field));
  BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> n,
                         CheckLength(field, int64_t{len} - 1, true, kMaxStringLength, 0));
  if (!n.has_value()) return std::optional<std::string>();
  return std::optional<std::string>(TakeString(*n));
}

Result<Bytes> Reader::ReadBytes(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const int32_t len, ReadInt32(field));
  BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> n,
                         CheckLength(field, len, false, kMaxInt32Length, 0));
  return TakeBytes(*n);
}

Result<std::optional<Bytes>> Reader::ReadNullableBytes(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const int32_t len, ReadInt32(field));
  BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> n,
                         CheckLength(field, len, true, kMaxInt32Length, 0));
  if (!n.has_value()) return std::optional<Bytes>();
  return std::optional<Bytes>(TakeBytes(*n));
}

Result<Bytes> Reader::ReadCompactBytes(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const uint32_t len, ReadUnsignedVarint(field));
  BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> n,
                         CheckLength(field, int64_t{len} - 1, false, kMaxInt32Length, 0));
  return TakeBytes(*n);
}

Result<std::optional<Bytes>> Reader::ReadCompactNullableBytes(std::string_view field) {
  BROOK_ASSIGN_OR_RETURN(const uint32_t len, ReadUnsignedVarint(field));
  BROOK_ASSIGN_OR_RETURN(const std::optional<size_t> n,
                         CheckLength(field, int64_t{len} - 1, true, kMaxInt32Length, 0));
  if (!n.has_value()) return std::optional<Bytes>();
  return std::optional<Bytes>(TakeBytes(*n));
}

Result<std::optional<size_t>> Reader::ReadArrayLength(std::string_view field,
                                                      size_t min_element_size) {
  BROOK_ASSIGN_OR_RETURN(const int32_t len, ReadInt32(field));
  return CheckLength(field, len, true, kMaxInt32Length, std::max<size_t>(min_element_size, 1));
}

Result<std::optional<size_t>> Reader::ReadCompactArrayLength(std::string_view field,
                                                             size_t min_element_size) {
  BROOK_ASSIGN_OR_RETURN(const uint32_t len, ReadUnsignedVarint(field));
  return CheckLength(field, int64_t{len} - 1, true, kMaxInt32Length,
                     std::max<size_t>(min_element_size, 1));
}

Status Reader::Skip(std::string_view field, size_t n) {
  BROOK_RETURN_IF_ERROR(Need(field, n));
  pos_ += n;
  return Status::Ok();
}

Status Reader::SkipTaggedFields() {
  return ReadTaggedFields([](uint32_t /*tag*/, Reader& /*r*/) -> Result<bool> { return false; });
}

Status Reader::EnterTaggedField(std::string_view field, size_t size, size_t* saved_end) {
  BROOK_RETURN_IF_ERROR(Need(field, size));
  *saved_end = end_;
  end_ = pos_ + size;
  return Status::Ok();
}

Status Reader::LeaveTaggedField(uint32_t tag, bool handled, size_t start, size_t saved_end) {
  const size_t field_end = end_;
  end_ = saved_end;
  if (!handled) {
    pos_ = field_end;  // Unknown tag: skip its bytes.
    return Status::Ok();
  }
  if (pos_ != field_end) {
    return Error("tagged_fields", "tagged field " + std::to_string(tag) + " at offset " +
                                      std::to_string(start) + " declares " +
                                      Plural(field_end - start, "byte") + " but its value used " +
                                      std::to_string(pos_ - start));
  }
  return Status::Ok();
}

Status Reader::ExpectEnd() const {
  if (pos_ == data_.size()) return Status::Ok();
  return Status::Corruption(Plural(data_.size() - pos_, "trailing byte") + " at offset " +
                            std::to_string(pos_));
}

// ---------------------------------------------------------------------------------------
// Writer

Status Writer::Error(std::string_view field, std::string_view what) const {
  std::string m = "field ";
  m += path_.Format(field);
  m += ": ";
  m += what;
  return Status::InvalidArgument(std::move(m));
}

void Writer::Truncate(size_t n) {
  if (vec_ != nullptr) {
    vec_->resize(n);
  } else {
    str_->resize(n);
  }
}

void Writer::Append(const uint8_t* p, size_t n) {
  if (vec_ != nullptr) {
    vec_->insert(vec_->end(), p, p + n);
  } else {
    str_->append(reinterpret_cast<const char*>(p), n);
  }
}

void Writer::WriteInt8(int8_t v) {
  const auto b = static_cast<uint8_t>(v);
  Append(&b, 1);
}

void Writer::WriteInt16(int16_t v) {
  WriteUint16(static_cast<uint16_t>(v));
}
void Writer::WriteInt32(int32_t v) {
  WriteUint32(static_cast<uint32_t>(v));
}

void Writer::WriteInt64(int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  std::array<uint8_t, 8> b{};
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(u >> (56 - 8 * i));
  Append(b.data(), b.size());
}

void Writer::WriteUint16(uint16_t v) {
  const std::array<uint8_t, 2> b = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  Append(b.data(), b.size());
}

void Writer::WriteUint32(uint32_t v) {
  const std::array<uint8_t, 4> b = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                                    static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  Append(b.data(), b.size());
}

void Writer::WriteFloat64(double v) {
  WriteInt64(std::bit_cast<int64_t>(v));
}
void Writer::WriteBool(bool v) {
  WriteInt8(v ? 1 : 0);
}
void Writer::WriteUuid(const Uuid& v) {
  Append(v.data(), v.size());
}
void Writer::WriteRaw(std::span<const uint8_t> bytes) {
  Append(bytes.data(), bytes.size());
}

void Writer::WriteUnsignedVarint(uint32_t v) {
  std::array<uint8_t, 5> b{};
  size_t n = 0;
  while (v >= 0x80) {
    b[n++] = static_cast<uint8_t>(v | 0x80);
    v >>= 7;
  }
  b[n++] = static_cast<uint8_t>(v);
  Append(b.data(), n);
}

void Writer::WriteVarint(int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  WriteUnsignedVarint((u << 1) ^ (v < 0 ? 0xffffffffU : 0U));
}

void Writer::WriteVarlong(int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  uint64_t z = (u << 1) ^ (v < 0 ? ~uint64_t{0} : uint64_t{0});
  std::array<uint8_t, 10> b{};
  size_t n = 0;
  while (z >= 0x80) {
    b[n++] = static_cast<uint8_t>(z | 0x80);
    z >>= 7;
  }
  b[n++] = static_cast<uint8_t>(z);
  Append(b.data(), n);
}

Status Writer::CheckStringLength(std::string_view field, size_t n) const {
  if (n <= kMaxStringLength) return Status::Ok();
  return Error(field, "string of " + std::to_string(n) + " bytes exceeds the maximum " +
                          std::to_string(kMaxStringLength));
}

Status Writer::CheckInt32Length(std::string_view field, size_t n) const {
  if (n <= kMaxInt32Length) return Status::Ok();
  return Error(field, "length " + std::to_string(n) + " exceeds the int32 maximum");
}

Status Writer::WriteString(std::string_view field, std::string_view v) {
  BROOK_RETURN_IF_ERROR(CheckStringLength(field, v.size()));
  WriteInt16(static_cast<int16_t>(v.size()));
  Append(reinterpret_cast<const uint8_t*>(v.data()), v.size());
  return Status::Ok();
}

Status Writer::WriteNullableString(std::string_view field, const std::optional<std::string>& v) {
  if (!v.has_value()) {
    WriteInt16(-1);
    return Status::Ok();
  }
  return WriteString(field, *v);
}

Status Writer::WriteCompactString(std::string_view field, std::string_view v) {
  BROOK_RETURN_IF_ERROR(CheckStringLength(field, v.size()));
  WriteUnsignedVarint(static_cast<uint32_t>(v.size() + 1));
  Append(reinterpret_cast<const uint8_t*>(v.data()), v.size());
  return Status::Ok();
}

Status Writer::WriteCompactNullableString(std::string_view field,
                                          const std::optional<std::string>& v) {
  if (!v.has_value()) {
    WriteUnsignedVarint(0);
    return Status::Ok();
  }
  return WriteCompactString(field, *v);
}

Status Writer::WriteBytes(std::string_view field, std::span<const uint8_t> v) {
  BROOK_RETURN_IF_ERROR(CheckInt32Length(field, v.size()));
  WriteInt32(static_cast<int32_t>(v.size()));
  Append(v.data(), v.size());
  return Status::Ok();
}

Status Writer::WriteNullableBytes(std::string_view field, const std::optional<Bytes>& v) {
  if (!v.has_value()) {
    WriteInt32(-1);
    return Status::Ok();
  }
  return WriteBytes(field, *v);
}

Status Writer::WriteCompactBytes(std::string_view field, std::span<const uint8_t> v) {
  // Length + 1 must fit an unsigned varint (32 bits); keep to Kafka's int32 limit.
  BROOK_RETURN_IF_ERROR(CheckInt32Length(field, v.size()));
  WriteUnsignedVarint(static_cast<uint32_t>(v.size() + 1));
  Append(v.data(), v.size());
  return Status::Ok();
}

Status Writer::WriteCompactNullableBytes(std::string_view field, const std::optional<Bytes>& v) {
  if (!v.has_value()) {
    WriteUnsignedVarint(0);
    return Status::Ok();
  }
  return WriteCompactBytes(field, *v);
}

Status Writer::WriteArrayLength(std::string_view field, std::optional<size_t> count) {
  if (!count.has_value()) {
    WriteInt32(-1);
    return Status::Ok();
  }
  BROOK_RETURN_IF_ERROR(CheckInt32Length(field, *count));
  WriteInt32(static_cast<int32_t>(*count));
  return Status::Ok();
}

Status Writer::WriteCompactArrayLength(std::string_view field, std::optional<size_t> count) {
  if (!count.has_value()) {
    WriteUnsignedVarint(0);
    return Status::Ok();
  }
  BROOK_RETURN_IF_ERROR(CheckInt32Length(field, *count));
  WriteUnsignedVarint(static_cast<uint32_t>(*count + 1));
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------
// Printing

namespace internal {

void PrintValue(std::ostream& os, int8_t v) {
  os << static_cast<int>(v);
}
void PrintValue(std::ostream& os, int16_t v) {
  os << v;
}
void PrintValue(std::ostream& os, int32_t v) {
  os << v;
}
void PrintValue(std::ostream& os, int64_t v) {
  os << v;
}
void PrintValue(std::ostream& os, uint16_t v) {
  os << v;
}
void PrintValue(std::ostream& os, uint32_t v) {
  os << v;
}
void PrintValue(std::ostream& os, double v) {
  os << v;
}
void PrintValue(std::ostream& os, bool v) {
  os << (v ? "true" : "false");
}

namespace {
void PrintHex(std::ostream& os, std::span<const uint8_t> bytes) {
  static constexpr std::string_view kDigits = "0123456789abcdef";
  for (const uint8_t b : bytes) os << kDigits[b >> 4] << kDigits[b & 0x0f];
}
}  // namespace

void PrintValue(std::ostream& os, const Uuid& v) {
  PrintHex(os, v);
}

void PrintValue(std::ostream& os, const std::string& v) {
  os << '"';
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      os << '\\' << c;
    } else if (u < 0x20 || u >= 0x7f) {
      static constexpr std::string_view kDigits = "0123456789abcdef";
      os << "\\x" << kDigits[u >> 4] << kDigits[u & 0x0f];
    } else {
      os << c;
    }
  }
  os << '"';
}

void PrintValue(std::ostream& os, const Bytes& v) {
  constexpr size_t kMaxShown = 64;
  os << "<" << v.size() << " bytes";
  if (!v.empty()) {
    os << ' ';
    PrintHex(os, std::span<const uint8_t>(v).first(std::min(v.size(), kMaxShown)));
    if (v.size() > kMaxShown) os << "...";
  }
  os << '>';
}

}  // namespace internal

}  // namespace brook::protocol
