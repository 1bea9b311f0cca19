// A private random stream for data/: shuffling, splits and generated data sets.
// Not installed; users never include this.
//
// Note [private data streams]
// A DataLoader or a generated data set given a seed must give the same numbers whatever
// else the program draws from the library's global generator (dropout, init, ...), and
// must not disturb that generator either. So data/ keeps its own streams of the library's
// generator (autograd/detail/rng.hpp) with its own Box-Muller, one instance per user, no
// locking.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <utility>
#include <vector>

#include "autograd/generator.hpp"

namespace xg::data::detail {

class Rng : public xg::Generator {
 public:
  explicit Rng(std::uint64_t seed) : Generator(seed) {}

  // Standard normal (Box-Muller; the second value of each pair is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

  // Fisher-Yates shuffle in place.
  template <class T> void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(below(i));
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace xg::data::detail
