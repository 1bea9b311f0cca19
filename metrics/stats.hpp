// Statistical tests for comparing models and checking results: Pearson and Spearman
// correlations with two-sided p-values, the exact binomial test (is an accuracy better
// than chance?), and corrections for testing many hypotheses at once (Bonferroni,
// Benjamini-Hochberg). Definitions follow SciPy 1.10 (scipy.stats.pearsonr, spearmanr,
// rankdata, binomtest) and statsmodels 0.13 (multipletests).
//
//   // 930 of 1000 test digits right: better than a 10-class guesser?
//   auto t = xg::metrics::binomtest(930, 1000, 0.1, xg::metrics::Alternative::greater);
//   // t.pvalue < 1e-300: far better than chance
//   auto c = xg::metrics::spearmanr(x, y);             // c.statistic, c.pvalue
//
// Errors: ShapeError for inputs of different lengths, ValueError for too few samples,
// non-finite values and parameters out of range; every message starts with the
// function's name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace xg::metrics {

// A test statistic and its p-value.
struct TestResult {
  double statistic = 0.0;
  double pvalue = 0.0;
  std::string note;  // set when the statistic is undefined (then both are NaN)
};

// Pearson's product-moment correlation r of x and y, and the two-sided p-value of
// H0: no correlation, from Student's t = r sqrt((n - 2) / (1 - r^2)) with n - 2 degrees
// of freedom (exact for normal data; scipy's Beta form is the same distribution).
// Needs n >= 3 (ValueError). A constant input gives NaN r and p with a note, as SciPy's
// ConstantInputWarning.
TestResult pearsonr(const std::vector<double>& x, const std::vector<double>& y);

// Spearman's rank correlation: Pearson's r of the ranks (ties get their average rank),
// with the same t-based p-value as scipy.stats.spearmanr. Needs n >= 3.
TestResult spearmanr(const std::vector<double>& x, const std::vector<double>& y);

// Ranks 1..n of the values, ties sharing the average of their ranks (scipy.stats.rankdata
// with method="average"). ValueError for NaN.
std::vector<double> rankdata(const std::vector<double>& values);

enum class Alternative { two_sided, less, greater };

// Exact test of H0: successes ~ Binomial(trials, p).
//   two_sided  sum of the probabilities of all outcomes no more likely than the observed
//              one (relative tolerance 1e-7, as scipy.stats.binomtest)
//   greater    P(X >= successes); less: P(X <= successes)
// statistic is successes / trials. ValueError unless 0 <= successes <= trials,
// trials >= 1 and 0 <= p <= 1.
TestResult binomtest(std::int64_t successes, std::int64_t trials, double p = 0.5,
                     Alternative alternative = Alternative::two_sided);

// p-values adjusted for testing m hypotheses, and which are rejected at level alpha.
struct MultipleTestResult {
  std::vector<bool> reject;
  std::vector<double> pvalues_corrected;
};

// Bonferroni: min(1, m p_i); reject where p_i <= alpha / m.
MultipleTestResult bonferroni(const std::vector<double>& pvalues, double alpha = 0.05);
// Benjamini-Hochberg (false discovery rate, independent or positively correlated
// tests): with p sorted ascending, adjusted p_(i) = min over j >= i of m p_(j) / j,
// clipped at 1; reject the k smallest, k the largest i with p_(i) <= alpha i / m.
// Results are in the input's order.
MultipleTestResult benjamini_hochberg(const std::vector<double>& pvalues, double alpha = 0.05);

}  // namespace xg::metrics
