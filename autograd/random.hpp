// The library's own random number generator (xoshiro256**, seeded through splitmix64).
// The same seed gives the same numbers on every platform and standard library: normal
// draws use our own Box-Muller transform, not std::normal_distribution.
// One generator per process, guarded by a mutex.
#pragma once

#include <cstdint>

#include "xgrad/autograd/tensor.hpp"

namespace xg {

void manual_seed(std::uint64_t seed);

// Uniform on [0, 1).
Tensor rand(const Shape& shape, TensorOptions opts = {});
// Uniform on [low, high).
Tensor uniform(const Shape& shape, double low, double high, TensorOptions opts = {});
// Standard normal.
Tensor randn(const Shape& shape, TensorOptions opts = {});
// Normal with the given mean and standard deviation.
Tensor normal(const Shape& shape, double mean, double stddev, TensorOptions opts = {});
// i64 integers uniform on [low, high).
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape);
// A random permutation of 0..n-1 (i64).
Tensor randperm(std::int64_t n);
// Bernoulli(p) draws as 0/1 in the given float dtype.
Tensor bernoulli(const Shape& shape, double p, TensorOptions opts = {});

// Raw draws from the generator, for library code that needs its own distributions.
namespace random {
std::uint64_t next_u64();
double next_double();                       // uniform on [0, 1)
std::uint64_t next_below(std::uint64_t n);  // uniform on [0, n), unbiased
}  // namespace random

}  // namespace xg
