// Correlations, the exact binomial test and multiple-testing corrections (see stats.hpp).
#include "metrics/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/students_t.hpp>

#include "autograd/errors.hpp"
#include "metrics/detail/input.hpp"

namespace xg::metrics {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_xy(std::string_view fn, const std::vector<double>& x, const std::vector<double>& y) {
  detail::check_same_length(fn, "x", x.size(), "y", y.size());
  if (x.size() < 3) {
    throw ValueError(std::string(fn) + ": needs at least 3 samples for a p-value, got " +
                     std::to_string(x.size()));
  }
  detail::check_finite(fn, "x", x);
  detail::check_finite(fn, "y", y);
}

bool is_constant(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [&](double a) { return a == v[0]; });
}

TestResult undefined_correlation() {
  return {kNaN, kNaN, "an input is constant; the correlation coefficient is not defined"};
}

// Pearson's r, computed like scipy: centred vectors scaled to unit length, then their
// dot product, clipped to [-1, 1] against rounding.
double pearson_r(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxx = 0.0, syy = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  const double nx = std::sqrt(sxx), ny = std::sqrt(syy);
  double r = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) r += ((x[i] - mx) / nx) * ((y[i] - my) / ny);
  return std::clamp(r, -1.0, 1.0);
}

// Two-sided p-value of a correlation r from n samples: t = r sqrt(dof / ((1 + r)(1 - r)))
// follows Student's t with dof = n - 2 under H0. (1 + r)(1 - r) instead of 1 - r^2 keeps
// precision when |r| is close to 1.
double correlation_pvalue(double r, std::size_t n) {
  if (std::abs(r) == 1.0) return 0.0;
  const double dof = static_cast<double>(n) - 2.0;
  const double t = r * std::sqrt(dof / ((1.0 + r) * (1.0 - r)));
  const boost::math::students_t dist(dof);
  return 2.0 * boost::math::cdf(boost::math::complement(dist, std::abs(t)));
}

// The largest i in [lo, hi] with a(i) <= d for an increasing a (lo - 1 if none): scipy's
// _binary_search_for_binom_tst, ported as is so that ties resolve identically.
template <class F> std::int64_t binary_search_le(F a, double d, std::int64_t lo, std::int64_t hi) {
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    const double v = a(mid);
    if (v < d) {
      lo = mid + 1;
    } else if (v > d) {
      hi = mid - 1;
    } else {
      return mid;
    }
  }
  return a(lo) <= d ? lo : lo - 1;
}

void check_pvalues(std::string_view fn, const std::vector<double>& pvalues, double alpha) {
  detail::check_nonempty(fn, pvalues.size());
  detail::check_probabilities(fn, "pvalues", pvalues);
  if (!(alpha > 0.0 && alpha < 1.0)) {
    throw ValueError(std::string(fn) + ": alpha must be in (0, 1), got " +
                     detail::number_str(alpha));
  }
}

}  // namespace

TestResult pearsonr(const std::vector<double>& x, const std::vector<double>& y) {
  check_xy("pearsonr", x, y);
  if (is_constant(x) || is_constant(y)) return undefined_correlation();
  const double r = pearson_r(x, y);
  return {r, correlation_pvalue(r, x.size()), {}};
}

TestResult spearmanr(const std::vector<double>& x, const std::vector<double>& y) {
  check_xy("spearmanr", x, y);
  if (is_constant(x) || is_constant(y)) return undefined_correlation();
  const double r = pearson_r(rankdata(x), rankdata(y));
  return {r, correlation_pvalue(r, x.size()), {}};
}

std::vector<double> rankdata(const std::vector<double>& values) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) {
      throw ValueError("rankdata: values[" + std::to_string(i) + "] is nan; NaN has no rank");
    }
  }
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  for (std::size_t start = 0; start < order.size();) {
    std::size_t end = start + 1;
    while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
    // Sorted positions start..end-1 hold ranks start+1..end; each gets their mean.
    const double rank = 0.5 * static_cast<double>(start + 1 + end);
    for (std::size_t k = start; k < end; ++k) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

TestResult binomtest(std::int64_t k, std::int64_t n, double p, Alternative alternative) {
  if (n < 1) throw ValueError("binomtest: trials must be >= 1, got " + std::to_string(n));
  if (k < 0 || k > n) {
    throw ValueError("binomtest: successes must be in [0, trials] = [0, " + std::to_string(n) +
                     "], got " + std::to_string(k));
  }
  if (!(p >= 0.0 && p <= 1.0)) {
    throw ValueError("binomtest: p must be in [0, 1], got " + detail::number_str(p));
  }
  const boost::math::binomial_distribution<double> dist(static_cast<double>(n), p);
  const auto pmf = [&](std::int64_t x) { return boost::math::pdf(dist, static_cast<double>(x)); };
  // P(X <= x) and P(X > x), defined for every integer x as scipy's binom.cdf/sf are.
  const auto cdf = [&](std::int64_t x) {
    if (x < 0) return 0.0;
    if (x >= n) return 1.0;
    return boost::math::cdf(dist, static_cast<double>(x));
  };
  const auto sf = [&](std::int64_t x) {
    if (x < 0) return 1.0;
    if (x >= n) return 0.0;
    return boost::math::cdf(boost::math::complement(dist, static_cast<double>(x)));
  };
  const double statistic = static_cast<double>(k) / static_cast<double>(n);
  double pvalue = 0.0;
  switch (alternative) {
    case Alternative::less: pvalue = cdf(k); break;
    case Alternative::greater: pvalue = sf(k - 1); break;
    case Alternative::two_sided: {
      // Add the probabilities of every outcome on the other side of the mode that is no
      // more likely than the observed one (with scipy's relative tolerance).
      const double d = pmf(k);
      const double rerr = 1.0 + 1e-7;
      const double mean = p * static_cast<double>(n);
      if (static_cast<double>(k) == mean) {
        pvalue = 1.0;
      } else if (static_cast<double>(k) < mean) {
        const std::int64_t ix = binary_search_le([&](std::int64_t x) { return -pmf(x); }, -d * rerr,
                                                 static_cast<std::int64_t>(std::ceil(mean)), n);
        const std::int64_t y = n - ix + (d * rerr == pmf(ix) ? 1 : 0);
        pvalue = cdf(k) + sf(n - y);
      } else {
        const std::int64_t ix =
            binary_search_le(pmf, d * rerr, 0, static_cast<std::int64_t>(std::floor(mean)));
        const std::int64_t y = ix + 1;
        pvalue = cdf(y - 1) + sf(k - 1);
      }
      pvalue = std::min(1.0, pvalue);
      break;
    }
  }
  return {statistic, pvalue, {}};
}

MultipleTestResult bonferroni(const std::vector<double>& pvalues, double alpha) {
  check_pvalues("bonferroni", pvalues, alpha);
  const double m = static_cast<double>(pvalues.size());
  MultipleTestResult r;
  for (double p : pvalues) {
    r.reject.push_back(p <= alpha / m);
    r.pvalues_corrected.push_back(std::min(1.0, p * m));
  }
  return r;
}

MultipleTestResult benjamini_hochberg(const std::vector<double>& pvalues, double alpha) {
  check_pvalues("benjamini_hochberg", pvalues, alpha);
  const std::size_t m = pvalues.size();
  std::vector<std::size_t> order(m);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return pvalues[a] < pvalues[b]; });
  MultipleTestResult r;
  r.reject.assign(m, false);
  r.pvalues_corrected.assign(m, 0.0);
  // Step up: every hypothesis up to the largest rank i with p_(i) <= alpha i / m is
  // rejected, even those above their own line.
  std::size_t rejected = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const double rank_factor = static_cast<double>(i + 1) / static_cast<double>(m);
    if (pvalues[order[i]] <= rank_factor * alpha) rejected = i + 1;
  }
  double running_min = std::numeric_limits<double>::infinity();
  for (std::size_t i = m; i-- > 0;) {
    const double rank_factor = static_cast<double>(i + 1) / static_cast<double>(m);
    running_min = std::min(running_min, pvalues[order[i]] / rank_factor);
    r.pvalues_corrected[order[i]] = std::min(1.0, running_min);
    r.reject[order[i]] = i < rejected;
  }
  return r;
}

}  // namespace xg::metrics
