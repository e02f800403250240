// Test helpers for the Processor API tests: processors from lambdas, and checks of thrown
// brook::Errors.
//
// Thread-safety: single-threaded test code.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "brook/processor.h"
#include "brook/status.h"

namespace brook::testing {

// A processor whose Init and Process are lambdas; the context is passed to both.
template <typename KIn, typename VIn, typename KOut = void, typename VOut = void>
class LambdaProcessor final : public Processor<KIn, VIn, KOut, VOut> {
 public:
  using Context = ProcessorContext<KOut, VOut>;
  using ProcessFn = std::function<void(Context&, const Record<KIn, VIn>&)>;
  using InitFn = std::function<void(Context&)>;

  template <typename P, typename I>
  LambdaProcessor(const P& process, const I& init) : process_(process), init_(init) {}
  void Init(Context& context) override {
    context_ = &context;
    if (init_) init_(context);
  }
  void Process(const Record<KIn, VIn>& record) override { process_(*context_, record); }

 private:
  ProcessFn process_;
  InitFn init_;
  Context* context_ = nullptr;
};

// A supplier of LambdaProcessors. The callables are kept as they are and become
// std::functions per processor: copying a std::function that holds a captureless lambda
// trips GCC 12's -Wmaybe-uninitialized at -O2.
template <typename KIn, typename VIn, typename KOut = void, typename VOut = void, typename P = void,
          typename I = std::nullptr_t>
auto Lambda(P process, I init = nullptr) {
  return [process, init] {
    return std::make_unique<LambdaProcessor<KIn, VIn, KOut, VOut>>(process, init);
  };
}

// Forwards every record unchanged.
template <typename K, typename V>
auto PassThrough() {
  return Lambda<K, V, K, V>([](ProcessorContext<K, V>& c, const Record<K, V>& r) { c.Forward(r); });
}

// Runs f, which must throw brook::Error; returns it (an OK-coded error when nothing threw).
template <typename F>
Error Thrown(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no brook::Error thrown";
  return Error(StatusCode::kOk, "");
}

}  // namespace brook::testing
