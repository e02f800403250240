// Readable C++ type names for build-time error messages of the Processor API ("a parent
// forwards Record<std::string, int64_t> but ..."). Not a stable format; for messages only.
//
// TypeName<T>() spells the common types the short way (void, std::string, int64_t, double,
// bool, std::optional<X>, std::vector<X>) and demangles anything else. TypeTag pairs a
// type's std::type_index (for comparison) with that name.
//
// Thread-safety: pure functions and values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <vector>

namespace brook::internal {

// The demangled name of a type_info (its raw name when demangling fails).
std::string DemangledName(const std::type_info& type);

template <typename T>
struct TypeNameOf {
  static std::string Get() { return DemangledName(typeid(T)); }
};
template <>
struct TypeNameOf<void> {
  static std::string Get() { return "void"; }
};
template <>
struct TypeNameOf<std::string> {
  static std::string Get() { return "std::string"; }
};
template <>
struct TypeNameOf<int64_t> {
  static std::string Get() { return "int64_t"; }
};
template <>
struct TypeNameOf<int32_t> {
  static std::string Get() { return "int32_t"; }
};
template <>
struct TypeNameOf<double> {
  static std::string Get() { return "double"; }
};
template <>
struct TypeNameOf<bool> {
  static std::string Get() { return "bool"; }
};
template <typename X>
struct TypeNameOf<std::optional<X>> {
  static std::string Get() { return "std::optional<" + TypeNameOf<X>::Get() + ">"; }
};
template <typename X>
struct TypeNameOf<std::vector<X>> {
  static std::string Get() { return "std::vector<" + TypeNameOf<X>::Get() + ">"; }
};

template <typename T>
std::string TypeName() {
  return TypeNameOf<std::remove_cv_t<T>>::Get();
}

struct TypeTag {
  std::type_index index = typeid(void);
  std::string name = "void";

  template <typename T>
  static TypeTag Of() {
    return {typeid(T), TypeName<T>()};
  }
  bool operator==(const TypeTag& o) const { return index == o.index; }
};

}  // namespace brook::internal
