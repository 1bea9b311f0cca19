// Element types of a Tensor. f32 is the default; i64 holds labels, indices and the
// results of comparisons, and never requires grad.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace xg {

enum class Dtype : std::uint8_t { f32, f64, i64 };

inline constexpr Dtype f32 = Dtype::f32;
inline constexpr Dtype f64 = Dtype::f64;
inline constexpr Dtype i64 = Dtype::i64;

// "f32", "f64" or "i64".
constexpr std::string_view dtype_name(Dtype d) {
  switch (d) {
    case Dtype::f32: return "f32";
    case Dtype::f64: return "f64";
    case Dtype::i64: return "i64";
  }
  return "?";
}

constexpr std::size_t dtype_size(Dtype d) { return d == Dtype::f32 ? 4 : 8; }

constexpr bool is_floating(Dtype d) { return d != Dtype::i64; }

// The Dtype of a C++ element type: dtype_of<float> == f32, and so on.
template <class T> constexpr Dtype dtype_of() = delete;
template <> constexpr Dtype dtype_of<float>() { return Dtype::f32; }
template <> constexpr Dtype dtype_of<double>() { return Dtype::f64; }
template <> constexpr Dtype dtype_of<std::int64_t>() { return Dtype::i64; }

}  // namespace xg
