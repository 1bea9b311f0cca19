// Correlations, the binomial test and multiple-testing corrections against SciPy 1.10.1
// and statsmodels 0.13.5 (see metrics_test_util.hpp).
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "metrics_test_util.hpp"
#include "xgrad/metrics/stats.hpp"

using namespace xg;
using namespace xg::metrics;
using xg::test::check_close;
using xg::test::check_throws;

// p-values go through Boost's t distribution here and SciPy's Beta/cephes there: they
// agree to about 1e-12 relative.
constexpr double kPTol = 1e-10;

TEST_CASE("pearsonr and spearmanr: statistic and two-sided p-value") {
  // from scipy import stats
  // x = [1.2,2.4,3.1,4.8,5.0,6.3,7.7,8.1]; y = [2.0,2.9,3.3,5.9,4.1,7.0,8.8,8.0]
  // stats.pearsonr(x, y)  -> 0.9636610160492927, 0.00011672022658538269
  // stats.spearmanr(x, y) -> 0.9523809523809524, 0.00026040002438725105
  const std::vector<double> x = {1.2, 2.4, 3.1, 4.8, 5.0, 6.3, 7.7, 8.1};
  const std::vector<double> y = {2.0, 2.9, 3.3, 5.9, 4.1, 7.0, 8.8, 8.0};
  const TestResult p = pearsonr(x, y);
  check_close(p.statistic, 0.9636610160492927);
  check_close(p.pvalue, 0.00011672022658538269, kPTol);
  CHECK(p.note.empty());
  const TestResult s = spearmanr(x, y);
  check_close(s.statistic, 0.9523809523809524);
  check_close(s.pvalue, 0.00026040002438725105, kPTol);
  // Negative correlation: xn = [0.5,1.0,1.5,2.0,2.5,3.0]; yn = [9.0,7.5,7.7,5.0,4.0,1.0]
  //   pearsonr -> -0.9629846569604753, 0.0020298454105018597
  //   spearmanr -> -0.942857142857143, 0.004804664723032055
  const std::vector<double> xn = {0.5, 1.0, 1.5, 2.0, 2.5, 3.0};
  const std::vector<double> yn = {9.0, 7.5, 7.7, 5.0, 4.0, 1.0};
  check_close(pearsonr(xn, yn).statistic, -0.9629846569604753);
  check_close(pearsonr(xn, yn).pvalue, 0.0020298454105018597, kPTol);
  check_close(spearmanr(xn, yn).statistic, -0.942857142857143);
  check_close(spearmanr(xn, yn).pvalue, 0.004804664723032055, kPTol);
  // The smallest n: pearsonr([1,2,3],[1,3,2]) -> 0.4999999999999999, 0.6666666666666667
  check_close(pearsonr({1, 2, 3}, {1, 3, 2}).statistic, 0.4999999999999999);
  check_close(pearsonr({1, 2, 3}, {1, 3, 2}).pvalue, 0.6666666666666667, kPTol);
  // Perfect: spearmanr([1,2,3,4],[10,20,30,40]) -> 1.0, 0.0; pearsonr([1,2,3,4],[2,4,6,8])
  // -> 1.0, 0.0
  CHECK(spearmanr({1, 2, 3, 4}, {10, 20, 30, 40}).statistic == 1.0);
  CHECK(spearmanr({1, 2, 3, 4}, {10, 20, 30, 40}).pvalue == 0.0);
  CHECK(pearsonr({1, 2, 3, 4}, {2, 4, 6, 8}).statistic == 1.0);
  CHECK(pearsonr({1, 2, 3, 4}, {2, 4, 6, 8}).pvalue == 0.0);
}

TEST_CASE("spearmanr and rankdata: ties get their average rank") {
  // xt = [1,2,2,3,4,4,4,5,6,7]; yt = [3,1,2,2,5,5,4,6,9,7]
  // stats.rankdata(xt) -> [1.0, 2.5, 2.5, 4.0, 6.0, 6.0, 6.0, 8.0, 9.0, 10.0]
  // stats.rankdata([3,1,4,1,5,9,2,6,5,3,5])
  //   -> [4.5, 1.5, 6.0, 1.5, 8.0, 11.0, 3.0, 10.0, 8.0, 4.5, 8.0]
  // stats.spearmanr(xt, yt) -> 0.8947754370913888, 0.0004715481694803403
  // stats.pearsonr(xt, yt)  -> 0.8716953421628644, 0.0010126605379588522
  const std::vector<double> xt = {1, 2, 2, 3, 4, 4, 4, 5, 6, 7};
  const std::vector<double> yt = {3, 1, 2, 2, 5, 5, 4, 6, 9, 7};
  check_close(rankdata(xt), {1.0, 2.5, 2.5, 4.0, 6.0, 6.0, 6.0, 8.0, 9.0, 10.0});
  check_close(rankdata({3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5}),
              {4.5, 1.5, 6.0, 1.5, 8.0, 11.0, 3.0, 10.0, 8.0, 4.5, 8.0});
  check_close(spearmanr(xt, yt).statistic, 0.8947754370913888);
  check_close(spearmanr(xt, yt).pvalue, 0.0004715481694803403, kPTol);
  check_close(pearsonr(xt, yt).statistic, 0.8716953421628644);
  check_close(pearsonr(xt, yt).pvalue, 0.0010126605379588522, kPTol);
  CHECK(rankdata({}).empty());
}

TEST_CASE("correlations: constant input and bad inputs") {
  // stats.pearsonr([1,1,1],[1,2,3]) -> nan, nan (ConstantInputWarning)
  const TestResult c = pearsonr({1, 1, 1}, {1, 2, 3});
  CHECK(std::isnan(c.statistic));
  CHECK(std::isnan(c.pvalue));
  CHECK(c.note.find("constant") != std::string::npos);
  CHECK(std::isnan(spearmanr({1, 2, 3}, {5, 5, 5}).statistic));
  check_throws<ValueError>(
      [] {
        pearsonr({1, 2}, {1, 2});
      },
      {"pearsonr", "at least 3 samples", "got 2"});
  check_throws<ValueError>([] { spearmanr({}, {}); }, {"spearmanr", "at least 3", "got 0"});
  check_throws<ShapeError>(
      [] {
        spearmanr({1, 2, 3}, {1, 2, 3, 4});
      },
      {"spearmanr", "x has 3 samples", "y has 4"});
  check_throws<ValueError>(
      [] {
        pearsonr({1, 2, std::numeric_limits<double>::quiet_NaN()}, {1, 2, 3});
      },
      {"pearsonr", "x[2] is nan"});
  check_throws<ValueError>(
      [] {
        rankdata({1.0, std::numeric_limits<double>::quiet_NaN()});
      },
      {"rankdata", "values[1] is nan"});
}

TEST_CASE("binomtest: two-sided, less and greater p-values") {
  // for args in [...]: [stats.binomtest(*args, alternative=a).pvalue
  //                     for a in ["two-sided", "less", "greater"]]
  struct Case {
    std::int64_t k, n;
    double p, two_sided, less, greater;
  };
  const Case cases[] = {
      {7, 20, 0.5, 0.26317596435546875, 0.13158798217773438, 0.9423408508300781},
      {3, 20, 0.5, 0.0025768280029296875, 0.0012884140014648438, 0.9997987747192383},
      {10, 20, 0.5, 1.0, 0.5880985260009766, 0.5880985260009766},
      {930, 1000, 0.1, 0.0, 1.0, 0.0},
      {15, 100, 0.1, 0.09628404792835737, 0.9601094728889165, 0.07257296526488055},
      {2, 50, 0.1, 0.23387383994762567, 0.1117287563463473, 0.9662141403075681},
      {682, 925, 0.75, 0.38249155957485176, 0.1960092670538832, 0.8240891223524227},
      {1, 10, 0.3, 0.2995766784999998, 0.14930834589999992, 0.9717524751},
      {0, 10, 0.3, 0.0388396033, 0.028247524900000005, 1.0},
      {10, 10, 0.3, 5.9048999999999975e-06, 1.0, 5.9048999999999975e-06},
      {4, 12, 1.0 / 3.0, 1.0, 0.6315207144349042, 0.6069253219077937},
  };
  for (const Case& c : cases) {
    INFO("k=" << c.k << " n=" << c.n << " p=" << c.p);
    const TestResult two = binomtest(c.k, c.n, c.p);
    check_close(two.statistic, static_cast<double>(c.k) / static_cast<double>(c.n));
    check_close(two.pvalue, c.two_sided, kPTol);
    check_close(binomtest(c.k, c.n, c.p, Alternative::less).pvalue, c.less, kPTol);
    check_close(binomtest(c.k, c.n, c.p, Alternative::greater).pvalue, c.greater, kPTol);
  }
  // A classifier's accuracy against chance: 930 of 1000 right with 10 classes.
  CHECK(binomtest(930, 1000, 0.1, Alternative::greater).pvalue < 1e-300);
}

TEST_CASE("binomtest: bad inputs") {
  check_throws<ValueError>([] { binomtest(5, 0); }, {"binomtest", "trials must be >= 1", "0"});
  check_throws<ValueError>([] { binomtest(11, 10); },
                           {"binomtest", "successes must be in [0, trials] = [0, 10]", "11"});
  check_throws<ValueError>([] { binomtest(-1, 10); }, {"binomtest", "got -1"});
  check_throws<ValueError>([] { binomtest(3, 10, 1.5); },
                           {"binomtest", "p must be in [0, 1]", "1.5"});
}

TEST_CASE("bonferroni and benjamini_hochberg as statsmodels multipletests") {
  // from statsmodels.stats.multitest import multipletests
  // pv = [0.01,0.04,0.03,0.005,0.2,0.04,0.6,0.0001]
  // multipletests(pv, alpha=0.05, method="bonferroni") ->
  //   reject [F, F, F, T, F, F, F, T], corrected [0.08, 0.32, 0.24, 0.04, 1.0, 0.32, 1.0, 0.0008]
  // multipletests(pv, alpha=0.05, method="fdr_bh") ->
  //   reject [T, F, F, T, F, F, F, T], corrected [0.02666666666666667, 0.05333333333333334,
  //   0.05333333333333334, 0.02, 0.2285714285714286, 0.05333333333333334, 0.6, 0.0008]
  const std::vector<double> pv = {0.01, 0.04, 0.03, 0.005, 0.2, 0.04, 0.6, 0.0001};
  const MultipleTestResult b = bonferroni(pv);
  CHECK(b.reject == std::vector<bool>{false, false, false, true, false, false, false, true});
  check_close(b.pvalues_corrected, {0.08, 0.32, 0.24, 0.04, 1.0, 0.32, 1.0, 0.0008});
  const MultipleTestResult bh = benjamini_hochberg(pv);
  CHECK(bh.reject == std::vector<bool>{true, false, false, true, false, false, false, true});
  check_close(bh.pvalues_corrected, {0.02666666666666667, 0.05333333333333334, 0.05333333333333334,
                                     0.02, 0.2285714285714286, 0.05333333333333334, 0.6, 0.0008});
  // pv2 = [0.3,0.5,0.9,0.04]: bonferroni -> no rejection, [1.0, 1.0, 1.0, 0.16];
  // fdr_bh -> no rejection, [0.6, 0.6666666666666666, 0.9, 0.16]
  const std::vector<double> pv2 = {0.3, 0.5, 0.9, 0.04};
  const MultipleTestResult b2 = bonferroni(pv2);
  CHECK(b2.reject == std::vector<bool>(4, false));
  check_close(b2.pvalues_corrected, {1.0, 1.0, 1.0, 0.16});
  const MultipleTestResult bh2 = benjamini_hochberg(pv2);
  CHECK(bh2.reject == std::vector<bool>(4, false));
  check_close(bh2.pvalues_corrected, {0.6, 0.6666666666666666, 0.9, 0.16});
  // A single test is not corrected.
  CHECK(benjamini_hochberg({0.03}).pvalues_corrected == std::vector<double>{0.03});
  CHECK(bonferroni({0.03}).reject == std::vector<bool>{true});
}

TEST_CASE("multiple-testing corrections: bad inputs") {
  check_throws<ValueError>([] { bonferroni({}); }, {"bonferroni", "empty input"});
  check_throws<ValueError>(
      [] {
        benjamini_hochberg({0.1, 1.2});
      },
      {"benjamini_hochberg", "pvalues[1] = 1.2", "[0, 1]"});
  check_throws<ValueError>([] { bonferroni({0.1}, 0.0); },
                           {"bonferroni", "alpha must be in (0, 1)", "0"});
}
