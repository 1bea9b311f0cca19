// Conversion between xg::Tensor and xt::xarray<T> through the opt-in header.
#include <doctest/doctest.h>

#include <xgrad/autograd/xtensor.hpp>

#include "support/check.hpp"

using namespace xg;

TEST_CASE("xtensor interop: round trip keeps shape, values and dtype") {
  xt::xarray<double> a = {{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}};
  Tensor t = from_xarray(a, /*requires_grad=*/true);
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.dtype() == f64);
  CHECK(t.requires_grad());
  xg::test::check_values(t, {1, 2, 3, 4, 5, 6});
  xt::xarray<double> back = to_xarray<double>(t * 2.0);
  CHECK(back.shape() == std::vector<std::size_t>{2, 3});
  CHECK(back(1, 2) == 12.0);

  xt::xarray<std::int64_t> labels = {3, 1, 2};
  Tensor l = from_xarray(labels);
  CHECK(l.dtype() == i64);
  CHECK(to_xarray<std::int64_t>(l)(0) == 3);
  xt::xarray<float> f = to_xarray<float>(l);
  CHECK(f(2) == 2.0f);
}
