// Builds a tiny graph through the public headers only and checks one gradient by hand:
// for loss = sum(relu(x W^T + b) * 2), with every pre-activation positive,
// dloss/db_j = 2 * (number of rows) and dloss/dW_jk = 2 * sum_i x_ik.
#include <cmath>
#include <cstdio>

#include <xgrad.hpp>
#include <xgrad/nn/linear.hpp>

// xgrad::xgrad puts only <xgrad.hpp> and <xgrad/...> on the include path: no folder with
// a generic name that would clash with a project's own nn/, data/ or autograd/.
#if __has_include(<nn/module.hpp>) || __has_include(<autograd/tensor.hpp>) || \
    __has_include(<data/dataset.hpp>)
#error "xgrad's headers are reachable as <nn/...>, <autograd/...> or <data/...>"
#endif

int main() {
  xg::Tensor x = xg::tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {2, 3});
  xg::Tensor w = xg::tensor({0.1, 0.2, 0.3, 0.4, 0.5, 0.6}, {2, 3}, {.requires_grad = true});
  xg::Tensor b = xg::tensor({0.5, -0.5}, {2}, {.requires_grad = true});

  xg::Tensor loss = xg::sum(xg::relu(xg::linear(x, w, b)) * 2.0);
  loss.backward();

  // x W^T + b = [[1.9, 2.7], [3.7, 7.2]]; times 2, summed: 31.0.
  const double expected_loss = 31.0;
  const double expected_db = 4.0;                    // 2 * 2 rows
  const double expected_dw[3] = {10.0, 14.0, 18.0};  // 2 * column sums of x, each row of W

  int failures = 0;
  auto check = [&](const char* what, double got, double want) {
    if (std::abs(got - want) > 1e-4 * (1.0 + std::abs(want))) {
      std::fprintf(stderr, "consumer: %s = %g, expected %g\n", what, got, want);
      ++failures;
    }
  };
  check("loss", loss.item(), expected_loss);
  const auto db = b.grad().to_vector<double>();
  const auto dw = w.grad().to_vector<double>();
  if (db.size() != 2 || dw.size() != 6) {
    std::fprintf(stderr, "consumer: gradient sizes %zu and %zu, expected 2 and 6\n", db.size(),
                 dw.size());
    return 1;
  }
  for (int j = 0; j < 2; ++j) {
    check("db", db[j], expected_db);
    for (int k = 0; k < 3; ++k) check("dw", dw[j * 3 + k], expected_dw[k]);
  }
  // The layer from <xgrad/nn/linear.hpp>: 3 -> 2 features, 2 * 3 + 2 parameters.
  xg::nn::Linear layer(3, 2);
  check("Linear parameters", static_cast<double>(layer.num_parameters()), 8.0);
  check("Linear output size", static_cast<double>(layer.forward(xg::ones({2, 3})).numel()), 4.0);
  if (failures != 0) return 1;
  std::printf("consumer: ok (xgrad %s, loss %g)\n", xg::version().c_str(), loss.item());
  return 0;
}
