// nn::init: fans, gains, and the moments of large draws against the theoretical values
// (tolerances of about 5 standard errors), orthogonality, and the error cases.
#include <doctest/doctest.h>

#include <cmath>

#include "support/check.hpp"

using namespace xg;
using namespace xg::nn;
using xg::test::check_throws;

namespace {

struct Moments {
  double mean = 0, var = 0, min = INFINITY, max = -INFINITY;
  double within_one_sd = 0;  // fraction with |x - mean| < sd
  double n = 0;
};

Moments moments(const Tensor& t) {
  const auto v = t.to_vector<double>();
  Moments m;
  m.n = static_cast<double>(v.size());
  for (double x : v) {
    m.mean += x;
    m.min = std::min(m.min, x);
    m.max = std::max(m.max, x);
  }
  m.mean /= m.n;
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= m.n;
  const double sd = std::sqrt(m.var);
  for (double x : v) m.within_one_sd += std::abs(x - m.mean) < sd;
  m.within_one_sd /= m.n;
  return m;
}

// Uniform on [-bound, bound]: mean 0 (standard error sd/sqrt(n)), variance bound^2/3
// (standard error about 0.9 var/sqrt(n)), and the range nearly filled.
void check_uniform(const Tensor& t, double low, double high) {
  const Moments m = moments(t);
  const double sd = (high - low) / std::sqrt(12.0);
  INFO("mean " << m.mean << ", var " << m.var << ", range [" << m.min << ", " << m.max << "]");
  CHECK(std::abs(m.mean - (low + high) / 2) < 5 * sd / std::sqrt(m.n));
  CHECK(std::abs(m.var - sd * sd) < 5 * 0.9 * sd * sd / std::sqrt(m.n));
  CHECK(m.min >= low);
  CHECK(m.max <= high);
  CHECK(m.min < low + 0.001 * (high - low));
  CHECK(m.max > high - 0.001 * (high - low));
}

// Normal(mean, sd): sample mean (standard error sd/sqrt(n)), variance (standard error
// sqrt(2) var/sqrt(n)), and 68.27% of values within one sd (standard error 0.47/sqrt(n)).
void check_normal(const Tensor& t, double mean, double sd) {
  const Moments m = moments(t);
  INFO("mean " << m.mean << ", var " << m.var << ", within 1 sd " << m.within_one_sd);
  CHECK(std::abs(m.mean - mean) < 5 * sd / std::sqrt(m.n));
  CHECK(std::abs(m.var - sd * sd) < 5 * std::sqrt(2.0) * sd * sd / std::sqrt(m.n));
  CHECK(std::abs(m.within_one_sd - 0.682689492) < 5 * 0.466 / std::sqrt(m.n));
}

// max |A^T A - scale I| over an (r, c) row-major matrix's columns.
double gram_error(const std::vector<double>& a, std::int64_t r, std::int64_t c, double scale) {
  double worst = 0;
  for (std::int64_t i = 0; i < c; ++i) {
    for (std::int64_t j = 0; j < c; ++j) {
      double dot = 0;
      for (std::int64_t k = 0; k < r; ++k) dot += a[k * c + i] * a[k * c + j];
      worst = std::max(worst, std::abs(dot - (i == j ? scale : 0.0)));
    }
  }
  return worst;
}

std::vector<double> transpose(const std::vector<double>& a, std::int64_t r, std::int64_t c) {
  std::vector<double> t(a.size());
  for (std::int64_t i = 0; i < r; ++i)
    for (std::int64_t j = 0; j < c; ++j) t[j * r + i] = a[i * c + j];
  return t;
}

}  // namespace

TEST_CASE("nn.init: fan in and fan out like PyTorch") {
  auto f = init::calculate_fan_in_and_fan_out(zeros({3, 5}));
  CHECK(f.fan_in == 5);
  CHECK(f.fan_out == 3);
  // A conv weight (out, in, kh, kw): the receptive field multiplies both.
  f = init::calculate_fan_in_and_fan_out(zeros({64, 32, 3, 3}));
  CHECK(f.fan_in == 288);
  CHECK(f.fan_out == 576);
  check_throws<ValueError>([] { init::calculate_fan_in_and_fan_out(zeros({5})); },
                           {"fewer than 2 dimensions", "(5)"});
  check_throws<ValueError>([] { init::xavier_uniform_(zeros({5})); }, {"(5)"});
  check_throws<ValueError>([] { init::kaiming_normal_(scalar_tensor(1.0)); }, {"()"});
}

TEST_CASE("nn.init: calculate_gain like PyTorch") {
  // torch.nn.init.calculate_gain(...) in PyTorch 1.13.
  CHECK(init::calculate_gain("linear") == 1.0);
  CHECK(init::calculate_gain("conv2d") == 1.0);
  CHECK(init::calculate_gain("conv_transpose3d") == 1.0);
  CHECK(init::calculate_gain("sigmoid") == 1.0);
  CHECK(init::calculate_gain("tanh") == doctest::Approx(1.6666666666666667));
  CHECK(init::calculate_gain("relu") == doctest::Approx(1.4142135623730951));
  CHECK(init::calculate_gain("leaky_relu") == doctest::Approx(1.4141428569978354));
  CHECK(init::calculate_gain("leaky_relu", 0.2) == doctest::Approx(1.3867504905630728));
  CHECK(init::calculate_gain("leaky_relu", 0.0) == doctest::Approx(1.4142135623730951));
  CHECK(init::calculate_gain("selu") == 0.75);
  check_throws<ValueError>([] { init::calculate_gain("swish"); }, {"calculate_gain", "\"swish\""});
}

TEST_CASE("nn.init: uniform_, normal_, constant_ write in place and return the tensor") {
  manual_seed(30);
  Tensor w = zeros({1000, 1000}, {.requires_grad = true});
  Tensor alias = w;
  Tensor r = init::uniform_(w, -0.5, 1.5);
  CHECK(r.impl() == w.impl());
  CHECK(w.is_leaf());
  CHECK(w.requires_grad());
  CHECK(w.grad_fn_name().empty());
  check_uniform(alias, -0.5, 1.5);

  Tensor d = zeros({1000, 1000}, {.dtype = f64});
  init::uniform_(d);
  check_uniform(d, 0.0, 1.0);

  init::normal_(w, 2.0, 0.5);
  check_normal(alias, 2.0, 0.5);
  init::normal_(d);
  check_normal(d, 0.0, 1.0);

  init::constant_(w, 0.25);
  for (double v : alias.to_vector<double>()) REQUIRE(v == 0.25);
  init::zeros_(d);
  CHECK(d.sum().item() == 0.0);
  init::ones_(d);
  CHECK(d.sum().item() == 1e6);
  Tensor idx = tensor_i64({1, 2, 3});
  init::constant_(idx, 7);
  CHECK(idx.to_vector<std::int64_t>() == std::vector<std::int64_t>{7, 7, 7});
}

TEST_CASE("nn.init: the same seed gives the same draws") {
  Tensor a = zeros({10, 10}), b = zeros({10, 10});
  manual_seed(31);
  init::kaiming_uniform_(a);
  manual_seed(31);
  init::kaiming_uniform_(b);
  CHECK(a.to_vector<double>() == b.to_vector<double>());
  init::kaiming_uniform_(b);
  CHECK(a.to_vector<double>() != b.to_vector<double>());
}

TEST_CASE("nn.init: xavier_uniform_ and xavier_normal_") {
  manual_seed(32);
  // fan_in 400, fan_out 1000: bound = gain * sqrt(6 / 1400).
  Tensor w = zeros({1000, 400});
  init::xavier_uniform_(w, 2.0);
  const double bound = 2.0 * std::sqrt(6.0 / 1400.0);
  check_uniform(w, -bound, bound);
  init::xavier_normal_(w, 0.5);
  check_normal(w, 0.0, 0.5 * std::sqrt(2.0 / 1400.0));
  // Conv-shaped: fan_in 32*9 = 288, fan_out 64*9 = 576.
  Tensor c = zeros({64, 32, 3, 3}, {.dtype = f64});
  init::xavier_uniform_(c);
  const Moments m = moments(c);
  CHECK(m.max <= std::sqrt(6.0 / 864.0));
  CHECK(m.min >= -std::sqrt(6.0 / 864.0));
}

TEST_CASE("nn.init: kaiming_uniform_ and kaiming_normal_") {
  manual_seed(33);
  Tensor w = zeros({1000, 500});
  // Defaults: a = 0, fan_in, leaky_relu -> gain sqrt(2), bound sqrt(3) * sqrt(2) / sqrt(500).
  init::kaiming_uniform_(w);
  double bound = std::sqrt(6.0 / 500.0);
  check_uniform(w, -bound, bound);
  // Linear's default: a = sqrt(5) -> bound 1 / sqrt(fan_in).
  init::kaiming_uniform_(w, std::sqrt(5.0));
  bound = 1.0 / std::sqrt(500.0);
  check_uniform(w, -bound, bound);
  init::kaiming_uniform_(w, 0.0, "fan_out", "relu");
  bound = std::sqrt(3.0) * std::sqrt(2.0) / std::sqrt(1000.0);
  check_uniform(w, -bound, bound);

  init::kaiming_normal_(w, 0.0, "fan_out", "relu");
  check_normal(w, 0.0, std::sqrt(2.0) / std::sqrt(1000.0));
  init::kaiming_normal_(w, 0.0, "fan_in", "tanh");
  check_normal(w, 0.0, (5.0 / 3.0) / std::sqrt(500.0));
  Tensor c = zeros({128, 64, 3, 3}, {.dtype = f64});  // fan_in 576, fan_out 1152
  init::kaiming_normal_(c, 0.0, "fan_out", "relu");
  check_normal(c, 0.0, std::sqrt(2.0 / 1152.0));
}

TEST_CASE("nn.init: orthogonal_ gives orthonormal rows or columns") {
  manual_seed(34);
  // Tall: columns orthonormal.
  Tensor tall = zeros({50, 30}, {.dtype = f64});
  init::orthogonal_(tall);
  CHECK(gram_error(tall.to_vector<double>(), 50, 30, 1.0) < 1e-12);
  // Wide: rows orthonormal.
  Tensor wide = zeros({30, 50}, {.dtype = f64});
  init::orthogonal_(wide);
  CHECK(gram_error(transpose(wide.to_vector<double>(), 30, 50), 50, 30, 1.0) < 1e-12);
  // Square with gain: Q^T Q = gain^2 I.
  Tensor sq = zeros({40, 40}, {.dtype = f64});
  init::orthogonal_(sq, 2.0);
  CHECK(gram_error(sq.to_vector<double>(), 40, 40, 4.0) < 1e-11);
  // f32 and more than 2 dimensions: (6, 2, 5) is viewed as (6, 10), rows orthonormal.
  Tensor w = zeros({6, 2, 5});
  init::orthogonal_(w);
  CHECK(w.shape() == Shape{6, 2, 5});
  CHECK(gram_error(transpose(w.to_vector<double>(), 6, 10), 10, 6, 1.0) < 1e-5);
  // A square Haar matrix has entries of mean 0 and mean square 1/n.
  Tensor big = zeros({300, 300}, {.dtype = f64});
  init::orthogonal_(big);
  const Moments m = moments(big);
  CHECK(std::abs(m.var + m.mean * m.mean - 1.0 / 300) < 1e-12);  // E[q^2] = 1/n exactly
  CHECK(std::abs(m.mean) < 5 * std::sqrt(1.0 / 300) / 300);
}

TEST_CASE("nn.init: orthogonal_ is the sign-corrected Q of a normal draw, as PyTorch") {
  // With the same seed, orthogonal_ draws the same (rows, cols) normal matrix A. Then
  // R = Q^T A must be upper triangular with a positive diagonal (PyTorch's sign fix).
  const std::int64_t r = 7, c = 4;
  manual_seed(35);
  const auto a = normal({r, c}, 0.0, 1.0, {.dtype = f64}).to_vector<double>();
  manual_seed(35);
  Tensor q = zeros({r, c}, {.dtype = f64});
  init::orthogonal_(q);
  const auto qv = q.to_vector<double>();
  for (std::int64_t i = 0; i < c; ++i) {
    for (std::int64_t j = 0; j < c; ++j) {
      double rij = 0;
      for (std::int64_t k = 0; k < r; ++k) rij += qv[k * c + i] * a[k * c + j];
      if (i > j) CHECK(std::abs(rij) < 1e-12);
      if (i == j) CHECK(rij > 0);
    }
  }
}

TEST_CASE("nn.init: bad inputs") {
  check_throws<DtypeError>([] { init::uniform_(tensor_i64({1, 2})); }, {"uniform_", "i64"});
  check_throws<DtypeError>([] { init::normal_(tensor_i64({1, 2})); }, {"normal_", "i64"});
  check_throws<DtypeError>(
      [] {
        init::orthogonal_(tensor_i64({1, 2}, {1, 2}));
      },
      {"orthogonal_", "i64"});
  check_throws<GraphError>([] { init::uniform_(Tensor()); }, {"uniform_"});
  check_throws<GraphError>([] { init::zeros_(Tensor()); }, {"constant_"});
  check_throws<ValueError>([] { init::uniform_(zeros({2}), 1.0, 0.0); }, {"uniform_", "a <= b"});
  check_throws<ValueError>([] { init::normal_(zeros({2}), 0.0, -1.0); }, {"normal_", "std"});
  check_throws<ValueError>(
      [] {
        init::kaiming_uniform_(zeros({2, 2}), 0.0, "fan_avg");
      },
      {"kaiming_uniform_", "fan_avg", "fan_in, fan_out"});
  check_throws<ValueError>(
      [] {
        init::kaiming_normal_(zeros({2, 2}), 0.0, "fan_in", "swish");
      },
      {"swish"});
  check_throws<ValueError>([] { init::orthogonal_(zeros({4})); },
                           {"orthogonal_", "2 or more", "(4)"});
  // Tensors without elements are returned unchanged.
  Tensor empty = zeros({0, 5});
  CHECK(init::kaiming_uniform_(empty).numel() == 0);
  CHECK(init::orthogonal_(empty).numel() == 0);
  CHECK(init::xavier_normal_(empty).numel() == 0);
}
