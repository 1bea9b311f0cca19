// Tests of the vectorised building blocks in autograd/simd.hpp (exp_f32, lane_sum,
// lane_max) and of the ops that use them: accuracy against double-precision references,
// special values, and the same bits in the library's clones as in a plain build
// (Note [simd clones]).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "support/check.hpp"
#include "xgrad/autograd/simd.hpp"

using namespace xg;
using xg::test::check_values;

namespace {

// |got - want| in units of the last place of want as a float (subnormal ulp below 2^-126).
double ulp_error(float got, double want) {
  if (std::isinf(want) || std::abs(want) > std::numeric_limits<float>::max()) {
    return std::isinf(got) ? 0.0 : std::numeric_limits<double>::infinity();
  }
  int e = 0;
  std::frexp(want, &e);
  const double ulp = std::ldexp(1.0, std::max(e - 24, -149));
  return std::abs(static_cast<double>(got) - want) / ulp;
}

float from_bits(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

std::uint32_t to_bits(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

struct Worst {
  double ulp = 0;
  float x = 0;
};

// The largest error of f against the double reference over every 61st float in
// [-limit, limit] (all exponents and mantissa patterns are visited).
template <class F, class Ref> Worst worst_ulp(float limit, F f, Ref ref) {
  Worst w;
  const std::uint32_t top = to_bits(limit);
  for (std::uint32_t sign : {0u, 0x80000000u}) {
    for (std::uint32_t u = 0; u < top; u += 61) {
      const float x = from_bits(sign | u);
      const double err = ulp_error(f(x), ref(static_cast<double>(x)));
      if (err > w.ulp) w = {err, x};
    }
  }
  return w;
}

}  // namespace

TEST_CASE("exp_f32 is within 1 ulp of exp over the whole float range") {
  // About 37 million floats in [-110, 110]: the largest error measured on every float in
  // this range was 0.99 ulp.
  const Worst w = worst_ulp(110.0f, detail::exp_f32, [](double x) { return std::exp(x); });
  INFO("worst error " << w.ulp << " ulp at x = " << w.x);
  CHECK(w.ulp <= 1.0);
}

TEST_CASE("exp_f32 special values follow std::exp") {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(detail::exp_f32(inf) == inf);
  CHECK(detail::exp_f32(-inf) == 0.0f);
  CHECK(std::isnan(detail::exp_f32(std::numeric_limits<float>::quiet_NaN())));
  CHECK(detail::exp_f32(0.0f) == 1.0f);
  CHECK(detail::exp_f32(-0.0f) == 1.0f);
  // The overflow edge: the largest float with a finite exp, and the next one up.
  const float hi = 88.72283172607421875f;  // std::exp is finite here, infinite above
  CHECK(std::isfinite(std::exp(hi)));
  CHECK(std::isfinite(detail::exp_f32(hi)));
  CHECK(std::isinf(detail::exp_f32(std::nextafter(88.7228393f, inf))));
  CHECK(std::isinf(detail::exp_f32(1000.0f)));
  // Underflow: subnormal results are right (and not flushed), far below is exactly 0.
  CHECK(ulp_error(detail::exp_f32(-100.0f), std::exp(-100.0)) <= 1.0);
  CHECK(detail::exp_f32(-100.0f) > 0.0f);
  CHECK(detail::exp_f32(-104.0f) == 0.0f);
  CHECK(detail::exp_f32(-1000.0f) == 0.0f);
}

TEST_CASE("lane_sum and lane_max against plain loops") {
  for (std::int64_t n : {0, 1, 5, 15, 16, 17, 31, 32, 100, 1000}) {
    std::vector<double> x(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) x[static_cast<std::size_t>(i)] = std::sin(0.7 * i) * 3;
    double sum = 0, mx = -std::numeric_limits<double>::infinity();
    for (double v : x) {
      sum += v;
      mx = std::max(mx, v);
    }
    INFO("n = " << n);
    CHECK(detail::lane_sum<double>(x.data(), n) == doctest::Approx(sum).epsilon(1e-12));
    CHECK(detail::lane_max(x.data(), n) == mx);
  }
  // lane_max skips NaN (softmax lets it propagate through exp instead); all NaN: -inf.
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> x(40, 1.0);
  x[3] = nan;
  x[37] = 2.0;
  CHECK(detail::lane_max(x.data(), 40) == 2.0);
  std::vector<double> all_nan(20, nan);
  CHECK(detail::lane_max(all_nan.data(), 20) == -std::numeric_limits<double>::infinity());
  // f32 values summed in double lanes keep the digits a float sum loses.
  std::vector<float> ones(1 << 25, 1.0f);
  CHECK(detail::lane_sum<double>(ones.data(), 1 << 25) == double(1 << 25));
}

TEST_CASE(
    "f32 exp, sigmoid and softmax in the library: within 1-2 ulp, same bits as a plain build") {
  // The library runs the AVX-512 or AVX2 clone of its loops where the CPU has them; this
  // test is built for baseline x86-64. exp must give the same bits in both, since the
  // library is compiled without FMA contraction.
  std::vector<float> v;
  for (float x = -110.0f; x < 100.0f; x += 0.0137f) v.push_back(x);
  const auto n = static_cast<std::int64_t>(v.size());
  const Tensor x = tensor(std::vector<double>(v.begin(), v.end()), {n});  // f32, exact
  const std::vector<float> e = exp(x).to_vector<float>();
  const std::vector<float> s = sigmoid(x).to_vector<float>();
  double worst_exp = 0, worst_sigmoid = 0;
  std::int64_t same_bits = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double xd = v[i];
    worst_exp = std::max(worst_exp, ulp_error(e[i], std::exp(xd)));
    same_bits += to_bits(e[i]) == to_bits(detail::exp_f32(v[i]));
    worst_sigmoid = std::max(worst_sigmoid, ulp_error(s[i], 1.0 / (1.0 + std::exp(-xd))));
  }
  CHECK(worst_exp <= 1.0);
  CHECK(same_bits == n);
  CHECK(worst_sigmoid <= 2.0);  // exp's error plus one rounding in 1 + e and one in the division
  // Rows of softmax sum to 1 and match the double formula, with NaN and +-inf rows.
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor rows =
      tensor({1, 2, 3, 1000, -1000, 0, std::numeric_limits<double>::quiet_NaN(), 1, 2, -inf, 0, 1},
             {4, 3});
  const std::vector<float> sm = softmax(rows, 1).to_vector<float>();
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  check_values(slice(softmax(rows, 1), 0, 0, 1),
               {std::exp(1.0) / z, std::exp(2.0) / z, std::exp(3.0) / z}, 1e-6);
  CHECK(sm[3] == 1.0f);
  CHECK(sm[4] == 0.0f);
  CHECK(sm[5] == 0.0f);
  CHECK((std::isnan(sm[6]) && std::isnan(sm[7]) && std::isnan(sm[8])));
  const double z2 = 1.0 + std::exp(1.0);
  check_values(slice(softmax(rows, 1), 0, 3, 4), {0.0, 1.0 / z2, std::exp(1.0) / z2}, 1e-6);
}

TEST_CASE("tanh_f32 is within 1.5 ulp of tanh; the library's f32 tanh gives its bits") {
  // The largest error measured on every float in [-20, 20]: 1.33 ulp, near 0.628 where
  // the polynomial hands over to the exp formula.
  const Worst w = worst_ulp(20.0f, detail::tanh_f32, [](double x) { return std::tanh(x); });
  INFO("worst error " << w.ulp << " ulp at x = " << w.x);
  CHECK(w.ulp <= 1.5);
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(detail::tanh_f32(inf) == 1.0f);
  CHECK(detail::tanh_f32(-inf) == -1.0f);
  CHECK(detail::tanh_f32(30.0f) == 1.0f);
  CHECK(std::isnan(detail::tanh_f32(std::numeric_limits<float>::quiet_NaN())));
  CHECK(std::signbit(detail::tanh_f32(-0.0f)));
  CHECK(detail::tanh_f32(-1e-40f) == -1e-40f);  // subnormal: tanh(x) = x

  std::vector<double> v;
  for (double x = -12; x < 12; x += 0.0031) v.push_back(static_cast<float>(x));
  const auto n = static_cast<std::int64_t>(v.size());
  const std::vector<float> t = tanh(tensor(v, {n})).to_vector<float>();
  std::int64_t same_bits = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    same_bits += to_bits(t[i]) == to_bits(detail::tanh_f32(static_cast<float>(v[i])));
  }
  CHECK(same_bits == n);
}
