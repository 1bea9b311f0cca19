// Internal helpers for modules' extra_repr(). Not installed.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>

#include "autograd/ops/size2.hpp"

namespace xg::nn::internal {

// The shortest text that reads back as the same double: 0.5, 0.01, 1, 20, 1e-05.
inline std::string format_number(double v) {
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

inline std::string format_bool(bool b) { return b ? "true" : "false"; }

// As Python prints them: True / False, a 1-tuple "(2,)", a pair "(2, 3)", and a size that
// PyTorch keeps as given ("2" when both sides are equal, else the pair).
inline std::string python_bool(bool b) { return b ? "True" : "False"; }
inline std::string python_single(std::int64_t v) { return "(" + std::to_string(v) + ",)"; }
inline std::string python_pair(std::int64_t a, std::int64_t b) {
  return "(" + std::to_string(a) + ", " + std::to_string(b) + ")";
}
inline std::string python_pair(const Size2& s) { return python_pair(s.h, s.w); }
inline std::string python_size(const Size2& s) {
  return s.h == s.w ? std::to_string(s.h) : python_pair(s);
}

}  // namespace xg::nn::internal
