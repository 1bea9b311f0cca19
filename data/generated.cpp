// Generated 2-D data sets. Each call draws from its own stream seeded by `seed` (see
// Note [private data streams]), so a set depends on its arguments only. Points are
// generated class by class and then shuffled, so any prefix of a set is a fair sample.
#include <cmath>
#include <numbers>

#include "autograd/function.hpp"
#include "data/datasets.hpp"
#include "data/detail/rng.hpp"

namespace xg::data {

namespace {

using detail::Rng;

struct Points {
  std::vector<double> xy;  // x0, y0, x1, y1, ...
  std::vector<std::int64_t> label;
  void add(double x, double y, std::int64_t c) {
    xy.push_back(x);
    xy.push_back(y);
    label.push_back(c);
  }
};

void check_args(const char* op, std::int64_t n, double noise, const char* noise_name) {
  if (n < 0) throw ValueError(std::string(op) + ": n must be >= 0, got " + std::to_string(n));
  if (!(noise >= 0.0) || !std::isfinite(noise)) {
    throw ValueError(std::string(op) + ": " + noise_name + " must be finite and >= 0, got " +
                     std::to_string(noise));
  }
}

// Shuffles the points with rng and makes the Dataset: (n, 2) f32 and (n) i64.
Dataset finish(Points& p, Rng& rng, std::int64_t classes) {
  const auto n = static_cast<std::int64_t>(p.label.size());
  std::vector<std::int64_t> order(p.label.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
  rng.shuffle(order);
  Tensor x = xg::empty({n, 2}, {.dtype = Dtype::f32});
  Tensor y = xg::empty({n}, {.dtype = Dtype::i64});
  float* px = x.data_ptr<float>();
  std::int64_t* py = y.data_ptr<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i) {
    const auto k = static_cast<std::size_t>(order[static_cast<std::size_t>(i)]);
    px[2 * i] = static_cast<float>(p.xy[2 * k]);
    px[2 * i + 1] = static_cast<float>(p.xy[2 * k + 1]);
    py[i] = p.label[k];
  }
  std::vector<std::string> names;
  for (std::int64_t c = 0; c < classes; ++c) names.push_back(std::to_string(c));
  return Dataset(std::move(x), std::move(y), std::move(names));
}

}  // namespace

Dataset make_xor(std::int64_t n, double noise, std::uint64_t seed) {
  check_args("make_xor", n, noise, "noise");
  Rng rng(seed);
  // Corners in an order whose labels alternate, so that the classes differ by at most one.
  constexpr double kCorners[4][3] = {{-1, -1, 0}, {-1, 1, 1}, {1, 1, 0}, {1, -1, 1}};
  Points p;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto& c = kCorners[i % 4];
    const double x = c[0] + noise * rng.normal();
    const double y = c[1] + noise * rng.normal();
    p.add(x, y, static_cast<std::int64_t>(c[2]));
  }
  return finish(p, rng, 2);
}

Dataset make_spirals(std::int64_t n, double noise, std::uint64_t seed) {
  check_args("make_spirals", n, noise, "noise");
  Rng rng(seed);
  Points p;
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t c = i % 2;
    // Position along the arm, uniform; the second arm is the first turned by pi.
    const double t = rng.uniform();
    const double r = 0.05 + 0.95 * t;
    const double theta = 3.0 * std::numbers::pi * t + static_cast<double>(c) * std::numbers::pi;
    const double x = r * std::cos(theta) + noise * rng.normal();
    const double y = r * std::sin(theta) + noise * rng.normal();
    p.add(x, y, c);
  }
  return finish(p, rng, 2);
}

Dataset make_circles(std::int64_t n, double noise, double factor, std::uint64_t seed) {
  check_args("make_circles", n, noise, "noise");
  if (!(factor >= 0.0 && factor < 1.0)) {
    throw ValueError("make_circles: factor must be in [0, 1), got " + std::to_string(factor));
  }
  Rng rng(seed);
  const std::int64_t n_out = n / 2, n_in = n - n_out;
  Points p;
  // Evenly spaced angles (endpoint excluded), as scikit-learn.
  for (std::int64_t i = 0; i < n_out; ++i) {
    const double a = 2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n_out);
    p.add(std::cos(a), std::sin(a), 0);
  }
  for (std::int64_t i = 0; i < n_in; ++i) {
    const double a = 2.0 * std::numbers::pi * static_cast<double>(i) / static_cast<double>(n_in);
    p.add(factor * std::cos(a), factor * std::sin(a), 1);
  }
  for (double& v : p.xy) v += noise * rng.normal();
  return finish(p, rng, 2);
}

Dataset make_blobs(std::int64_t n, const std::vector<std::array<double, 2>>& centers,
                   double std_dev, std::uint64_t seed) {
  check_args("make_blobs", n, std_dev, "std_dev");
  if (centers.empty()) throw ValueError("make_blobs: needs at least one center");
  for (const auto& c : centers) {
    if (!std::isfinite(c[0]) || !std::isfinite(c[1])) {
      throw ValueError("make_blobs: centers must be finite");
    }
  }
  Rng rng(seed);
  const auto k = static_cast<std::int64_t>(centers.size());
  Points p;
  for (std::int64_t c = 0; c < k; ++c) {
    const std::int64_t count = n / k + (c < n % k ? 1 : 0);
    const auto& center = centers[static_cast<std::size_t>(c)];
    for (std::int64_t i = 0; i < count; ++i) {
      const double x = center[0] + std_dev * rng.normal();
      const double y = center[1] + std_dev * rng.normal();
      p.add(x, y, c);
    }
  }
  return finish(p, rng, k);
}

Dataset make_blobs(std::int64_t n, std::int64_t centers, double std_dev, std::uint64_t seed) {
  if (centers < 1) {
    throw ValueError("make_blobs: centers must be >= 1, got " + std::to_string(centers));
  }
  // The centers come from a stream of their own so that they do not depend on n.
  Rng rng(seed ^ 0xb10b5ULL);
  std::vector<std::array<double, 2>> cs(static_cast<std::size_t>(centers));
  for (auto& c : cs) c = {-10.0 + 20.0 * rng.uniform(), -10.0 + 20.0 * rng.uniform()};
  return make_blobs(n, cs, std_dev, seed);
}

Dataset make_moons(std::int64_t n, double noise, std::uint64_t seed) {
  check_args("make_moons", n, noise, "noise");
  Rng rng(seed);
  const std::int64_t n_out = n / 2, n_in = n - n_out;
  Points p;
  // Angles 0..pi inclusive, as scikit-learn's linspace.
  const auto angle = [](std::int64_t i, std::int64_t m) {
    return m > 1 ? std::numbers::pi * static_cast<double>(i) / static_cast<double>(m - 1) : 0.0;
  };
  for (std::int64_t i = 0; i < n_out; ++i) {
    p.add(std::cos(angle(i, n_out)), std::sin(angle(i, n_out)), 0);
  }
  for (std::int64_t i = 0; i < n_in; ++i) {
    p.add(1.0 - std::cos(angle(i, n_in)), 0.5 - std::sin(angle(i, n_in)), 1);
  }
  for (double& v : p.xy) v += noise * rng.normal();
  return finish(p, rng, 2);
}

}  // namespace xg::data
