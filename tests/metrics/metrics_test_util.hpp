// Helpers of the metrics tests: comparison of doubles and vectors with reference values.
//
// Every expected number in tests/metrics was computed with scikit-learn 1.2.1, SciPy
// 1.10.1 or statsmodels 0.13.5 (Debian bookworm: python3-sklearn, python3-scipy,
// python3-statsmodels) under /usr/bin/python3; the snippet is in a comment next to the
// numbers, and its output was printed with repr() (17 significant digits).
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "support/check.hpp"

namespace xg::test {

// |got - expected| <= tol (1 + |expected|); NaN matches NaN.
inline void check_close(double got, double expected, double tol = 1e-12) {
  INFO("got " << got << ", expected " << expected);
  if (std::isnan(expected)) {
    CHECK(std::isnan(got));
  } else if (std::isinf(expected)) {
    CHECK(got == expected);
  } else {
    CHECK(std::abs(got - expected) <= tol * (1.0 + std::abs(expected)));
  }
}

inline void check_close(const std::vector<double>& got, const std::vector<double>& expected,
                        double tol = 1e-12) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    check_close(got[i], expected[i], tol);
  }
}

}  // namespace xg::test
