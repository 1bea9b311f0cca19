// The error paths of the checked integer arithmetic and conversions (detail/checked.hpp).
#include "autograd/detail/checked.hpp"

#include <charconv>
#include <cmath>

namespace xg::detail {

std::string number_str(double v) {
  if (std::isnan(v)) return "nan";
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void throw_unconvertible(const char* op, double v, const char* type) {
  throw ValueError(std::string(op) + ": cannot convert " + number_str(v) + " to " + type +
                   (std::isfinite(v) ? " (out of range)" : ""));
}

void throw_overflow(const char* op, std::int64_t x, char sym, std::int64_t y) {
  throw OverflowError(std::string(op) + ": i64 overflow (" + std::to_string(x) + ' ' + sym + ' ' +
                      std::to_string(y) + ")");
}

void check_negatable(const char* op, const Tensor& x) {
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  for (const std::int64_t v : x.data<std::int64_t>()) {
    if (v == kMin) {
      throw OverflowError(std::string(op) + ": i64 overflow (" + std::to_string(v) +
                          " has no i64 negation)");
    }
  }
}

}  // namespace xg::detail
