// Finite-difference gradient checking, in float64, with PyTorch's defaults.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xg {

struct GradcheckOptions {
  double eps = 1e-6;   // central-difference step
  double atol = 1e-5;  // pass when |analytic - numeric| <= atol + rtol * |numeric|
  double rtol = 1e-3;
  bool check_zero_grad = true;      // a zero output gradient must give zero input gradients
  bool check_repeatability = true;  // two backward passes must agree exactly
};

struct GradcheckResult {
  bool ok = true;
  std::string message;      // what failed, or "ok"
  std::int64_t input = -1;  // worst input and flat element
  std::int64_t element = -1;
  double analytic = 0.0;
  double numeric = 0.0;
  double tolerance = 0.0;
  double max_error = 0.0;  // largest |analytic - numeric| seen
  explicit operator bool() const { return ok; }
};

// Checks the gradient of fn (inputs -> one tensor) with respect to every input that
// requires grad. Inputs that require grad and the output must be f64 (DtypeError
// otherwise). The full Jacobian is compared entry by entry against central differences;
// the result names the worst entry.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& opts = {});

// Checks second derivatives, as PyTorch's gradgradcheck: with a random f64 output gradient
// v (seeded from the library's generator), the function
//   (inputs, v) -> concat of flattened grad(fn(inputs), inputs, v, create_graph = true)
// is checked with gradcheck, i.e. the backward pass itself is differentiated by the engine
// and compared against finite differences of the first-order gradients.
GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, const GradcheckOptions& opts = {});

}  // namespace xg
