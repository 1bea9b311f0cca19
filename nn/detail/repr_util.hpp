// Internal helpers for modules' extra_repr(). Not installed.
#pragma once

#include <charconv>
#include <string>

namespace xg::nn::internal {

// The shortest text that reads back as the same double: 0.5, 0.01, 1, 20, 1e-05.
inline std::string format_number(double v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

inline std::string format_bool(bool b) { return b ? "true" : "false"; }

}  // namespace xg::nn::internal
