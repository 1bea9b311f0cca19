// Anomaly mode and the stack traces it records.
#include "autograd/anomaly.hpp"

#include <cxxabi.h>
#include <execinfo.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "autograd/detail/impl.hpp"

namespace xg {

namespace {
thread_local bool anomaly_enabled = false;

// "libxgrad.so.0(_ZN2xg3expERKNS_6TensorE+0x2c) [0x7f..]" -> "xg::exp(xg::Tensor const&)".
std::string demangle_frame(const char* frame) {
  std::string s = frame;
  const auto open = s.find('('), plus = s.find('+', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || plus == std::string::npos || plus == open + 1) return s;
  const std::string mangled = s.substr(open + 1, plus - open - 1);
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(mangled.c_str(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? std::string(name.get()) : mangled;
}
}  // namespace

DetectAnomalyGuard::DetectAnomalyGuard() : previous_(anomaly_enabled) { anomaly_enabled = true; }
DetectAnomalyGuard::~DetectAnomalyGuard() { anomaly_enabled = previous_; }
bool is_anomaly_enabled() { return anomaly_enabled; }

namespace detail {

bool anomaly_mode_enabled() { return anomaly_enabled; }

std::string current_stack_trace() {
  void* frames[48];
  const int n = ::backtrace(frames, 48);
  std::unique_ptr<char*, void (*)(void*)> symbols(::backtrace_symbols(frames, n), std::free);
  std::string out;
  // Skip this function and record(), which are the same for every op.
  for (int i = 2; i < n; ++i) {
    out += "  #" + std::to_string(i - 2) + " " +
           (symbols ? demangle_frame(symbols.get()[i]) : std::string("?")) + "\n";
  }
  return out;
}

}  // namespace detail
}  // namespace xg
