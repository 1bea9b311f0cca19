// Checked integer arithmetic and checked float -> integer conversion for the ops. Private
// to autograd/; not installed.
//
// Note [integer overflow]
// PyTorch's integer ops wrap around (the i64 maximum plus one is the minimum), and in C++
// a float converted to an integer type that cannot hold it is undefined behaviour (garbage
// in practice). xgrad refuses both, deliberately unlike PyTorch: an i64 add, sub, mul,
// neg or abs whose exact result does not fit, or a sum whose running total (in element
// order) leaves the range, throws OverflowError naming the op and the operands; a NaN,
// infinite or out-of-range float converted to i64 (.to(i64), the factories, fill_, copy_)
// throws ValueError naming the op and the value. The checks are compiled into the integer
// instantiations only: the float loops are unchanged.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "autograd/errors.hpp"
#include "autograd/tensor.hpp"

namespace xg::detail {

// The shortest text that reads back as v: "1e+30", "nan", "-inf", "0.1".
std::string number_str(double v);

// Whether v converts to the signed integer type T: not NaN, and in [min, max] after
// truncation (the bounds of T are -2^(bits-1) and 2^(bits-1) - 1).
template <class T> bool fits(double v) {
  static_assert(std::is_signed_v<T> && std::is_integral_v<T>);
  constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());  // exact
  return v >= lo && v < -lo;
}

[[noreturn]] void throw_unconvertible(const char* op, double v, const char* type);

// v converted to T, as static_cast; a NaN, infinite or out-of-range float converted to an
// integer type is a ValueError "op: cannot convert 1e+30 to i64".
template <class T, class S> T convert(const char* op, S v) {
  if constexpr (std::is_integral_v<T> && std::is_floating_point_v<S>) {
    if (!fits<T>(v)) throw_unconvertible(op, v, sizeof(T) == 8 ? "i64" : "int");
  }
  return static_cast<T>(v);
}

[[noreturn]] void throw_overflow(const char* op, std::int64_t x, char sym, std::int64_t y);

// x + y, x - y or x * y (Op '+', '-' or '*'): plain for floats; for integers an
// OverflowError "op: i64 overflow (9223372036854775807 * 2)" when the result does not fit.
template <char Op, class T> T arith(const char* op, T x, T y) {
  static_assert(Op == '+' || Op == '-' || Op == '*');
  if constexpr (std::is_integral_v<T>) {
    T r;
    const bool overflow = Op == '+'   ? __builtin_add_overflow(x, y, &r)
                          : Op == '-' ? __builtin_sub_overflow(x, y, &r)
                                      : __builtin_mul_overflow(x, y, &r);
    if (overflow) throw_overflow(op, x, Op, y);
    return r;
  } else {
    return Op == '+' ? x + y : (Op == '-' ? x - y : x * y);
  }
}

// OverflowError when the i64 tensor x holds -2^63, whose negation does not fit (neg, abs).
void check_negatable(const char* op, const Tensor& x);

}  // namespace xg::detail
