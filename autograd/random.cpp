// The library's generator: xoshiro256** (Blackman & Vigna), seeded with splitmix64.
// Note [portable randomness]
// Only integer arithmetic decides which numbers come out; the conversion to floating point
// and the Box-Muller transform are written here, so a seed gives the same values with any
// standard library (std::normal_distribution's algorithm is implementation-defined).
#include "autograd/random.hpp"

#include <cmath>
#include <mutex>
#include <numbers>

#include "autograd/detail/impl.hpp"

namespace xg {

namespace {

struct Xoshiro256 {
  std::uint64_t s[4];

  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  void seed(std::uint64_t seed) {
    for (auto& word : s) {  // splitmix64
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s[1] * 5, 7) * 9;
    const std::uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
  }
};

std::mutex gen_mutex;
Xoshiro256& generator() {
  static Xoshiro256 gen = [] {
    Xoshiro256 g{};
    g.seed(0x5eed);
    return g;
  }();
  return gen;
}

// Uniform on [0, 1) with 53 random bits.
double u01(Xoshiro256& g) { return static_cast<double>(g.next() >> 11) * 0x1.0p-53; }

std::uint64_t below(Xoshiro256& g, std::uint64_t n) {
  // Lemire's multiply-and-reject: unbiased and platform independent.
  unsigned __int128 m = static_cast<unsigned __int128>(g.next()) * n;
  auto low = static_cast<std::uint64_t>(m);
  if (low < n) {
    const std::uint64_t threshold = (0 - n) % n;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(g.next()) * n;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

void check_float(const char* op, const TensorOptions& opts) {
  if (!is_floating(opts.dtype)) {
    throw DtypeError(std::string(op) + ": needs a float dtype (f32 or f64), got i64");
  }
}

// Fills a new float tensor with draw(g) under one lock.
template <class Draw> Tensor generate(const char* op, const Shape& shape, TensorOptions opts, Draw draw) {
  check_float(op, opts);
  Tensor out = detail::empty(shape, opts.dtype);
  {
    std::lock_guard lock(gen_mutex);
    auto& g = generator();
    detail::dispatch_float(op, opts.dtype, [&]<class T>() {
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
  generator().seed(seed);
}

Tensor rand(const Shape& shape, TensorOptions opts) {
  return generate("rand", shape, opts, [](Xoshiro256& g) { return u01(g); });
}

Tensor uniform(const Shape& shape, double low, double high, TensorOptions opts) {
  if (!(low <= high) || !std::isfinite(low) || !std::isfinite(high)) {
    throw ValueError("uniform: need finite low <= high, got [" + std::to_string(low) + ", " +
                     std::to_string(high) + ")");
  }
  return generate("uniform", shape, opts,
                  [=](Xoshiro256& g) { return low + (high - low) * u01(g); });
}

Tensor randn(const Shape& shape, TensorOptions opts) { return normal(shape, 0.0, 1.0, opts); }

Tensor normal(const Shape& shape, double mean, double stddev, TensorOptions opts) {
  if (!(stddev >= 0) || !std::isfinite(stddev) || !std::isfinite(mean)) {
    throw ValueError("normal: need finite mean and stddev >= 0, got mean " +
                     std::to_string(mean) + ", stddev " + std::to_string(stddev));
  }
  // Box-Muller, one value per pair of uniforms (no cached second value, so the stream
  // position depends only on how many numbers were drawn).
  return generate("normal", shape, opts, [=](Xoshiro256& g) {
    const double u1 = 1.0 - u01(g);  // (0, 1]: log stays finite
    const double u2 = u01(g);
    return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  });
}

Tensor bernoulli(const Shape& shape, double p, TensorOptions opts) {
  if (!(p >= 0.0 && p <= 1.0)) {
    throw ValueError("bernoulli: probability must be in [0, 1], got " + std::to_string(p));
  }
  return generate("bernoulli", shape, opts, [=](Xoshiro256& g) { return u01(g) < p ? 1.0 : 0.0; });
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
  for (std::int64_t i = 0, n = out.numel(); i < n; ++i) p[i] = low + static_cast<std::int64_t>(below(g, range));
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
    const auto j = static_cast<std::int64_t>(below(g, static_cast<std::uint64_t>(i + 1)));
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
  return u01(generator());
}
std::uint64_t next_below(std::uint64_t n) {
  if (n == 0) throw ValueError("random::next_below: n must be > 0");
  std::lock_guard lock(gen_mutex);
  return below(generator(), n);
}
}  // namespace random

}  // namespace xg
