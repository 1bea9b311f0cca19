// The library's global generator (autograd/detail/rng.hpp) and the distributions drawn
// from it. The Box-Muller transform is written here rather than taken from
// std::normal_distribution, whose algorithm differs between standard libraries.
#include "autograd/random.hpp"

#include <cmath>
#include <mutex>
#include <numbers>

#include "autograd/detail/impl.hpp"
#include "autograd/generator.hpp"

namespace xg {

namespace {

std::mutex gen_mutex;
Generator& generator() {
  static Generator gen(0x5eed);
  return gen;
}

void check_float(const char* op, const TensorOptions& opts) {
  if (!is_floating(opts.dtype)) {
    throw DtypeError(std::string(op) + ": needs a float dtype (f32 or f64), got i64");
  }
}

// Fills a new float tensor with draw(g) under one lock.
template <class Draw>
Tensor generate(const char* op, const Shape& shape, TensorOptions opts, Draw draw) {
  check_float(op, opts);
  Tensor out = detail::empty(shape, opts.dtype);
  {
    std::lock_guard lock(gen_mutex);
    auto& g = generator();
    autograd::dispatch_float(op, opts.dtype, [&]<class T>() {
      T* p = detail::ptr<T>(out);
      for (std::int64_t i = 0, n = out.numel(); i < n; ++i) p[i] = static_cast<T>(draw(g));
    });
  }
  out.impl()->requires_grad = opts.requires_grad;
  return out;
}

}  // namespace

void manual_seed(std::uint64_t seed) {
  std::lock_guard lock(gen_mutex);
  generator() = Generator(seed);
}

Tensor rand(const Shape& shape, TensorOptions opts) {
  return generate("rand", shape, opts, [](Generator& g) { return g.uniform(); });
}

Tensor uniform(const Shape& shape, double low, double high, TensorOptions opts) {
  if (!(low <= high) || !std::isfinite(low) || !std::isfinite(high)) {
    throw ValueError("uniform: need finite low <= high, got [" + std::to_string(low) + ", " +
                     std::to_string(high) + ")");
  }
  return generate("uniform", shape, opts,
                  [=](Generator& g) { return low + (high - low) * g.uniform(); });
}

Tensor randn(const Shape& shape, TensorOptions opts) { return normal(shape, 0.0, 1.0, opts); }

Tensor normal(const Shape& shape, double mean, double stddev, TensorOptions opts) {
  if (!(stddev >= 0) || !std::isfinite(stddev) || !std::isfinite(mean)) {
    throw ValueError("normal: need finite mean and stddev >= 0, got mean " + std::to_string(mean) +
                     ", stddev " + std::to_string(stddev));
  }
  // Box-Muller, one value per pair of uniforms (no cached second value, so the stream
  // position depends only on how many numbers were drawn).
  return generate("normal", shape, opts, [=](Generator& g) {
    const double u1 = 1.0 - g.uniform();  // (0, 1]: log stays finite
    const double u2 = g.uniform();
    return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  });
}

Tensor bernoulli(const Shape& shape, double p, TensorOptions opts) {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw ValueError("bernoulli: probability must be in [0, 1], got " + std::to_string(p));
  }
  return generate("bernoulli", shape, opts,
                  [=](Generator& g) { return g.uniform() < p ? 1.0 : 0.0; });
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape) {
  if (low >= high) {
    throw ValueError("randint: need low < high, got [" + std::to_string(low) + ", " +
                     std::to_string(high) + ")");
  }
  Tensor out = detail::empty(shape, Dtype::i64);
  std::lock_guard lock(gen_mutex);
  auto& g = generator();
  auto* p = detail::ptr<std::int64_t>(out);
  const auto range = static_cast<std::uint64_t>(high - low);
  for (std::int64_t i = 0, n = out.numel(); i < n; ++i)
    p[i] = low + static_cast<std::int64_t>(g.below(range));
  return out;
}

Tensor randperm(std::int64_t n) {
  if (n < 0) throw ValueError("randperm: n must be >= 0, got " + std::to_string(n));
  Tensor out = detail::empty({n}, Dtype::i64);
  auto* p = detail::ptr<std::int64_t>(out);
  for (std::int64_t i = 0; i < n; ++i) p[i] = i;
  std::lock_guard lock(gen_mutex);
  auto& g = generator();
  for (std::int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
    const auto j = static_cast<std::int64_t>(g.below(static_cast<std::uint64_t>(i + 1)));
    std::swap(p[i], p[j]);
  }
  return out;
}

namespace random {
std::uint64_t next_u64() {
  std::lock_guard lock(gen_mutex);
  return generator().next();
}
double next_double() {
  std::lock_guard lock(gen_mutex);
  return generator().uniform();
}
std::uint64_t next_below(std::uint64_t n) {
  if (n == 0) throw ValueError("random::next_below: n must be > 0");
  std::lock_guard lock(gen_mutex);
  return generator().below(n);
}
}  // namespace random

}  // namespace xg
