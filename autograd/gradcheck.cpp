// Finite-difference gradient checking.
// Note [gradcheck]
// The analytic Jacobian is built row by row: one backward pass per output element, with a
// one-hot output gradient, through xg::grad (so .grad of the inputs is left untouched).
// The numeric Jacobian is built column by column: each input element is moved by +-eps in
// place (then restored to its exact original value) and the function re-evaluated without
// recording a graph.
#include "autograd/gradcheck.hpp"

#include <cmath>
#include <sstream>

#include "autograd/detail/impl.hpp"
#include "autograd/engine.hpp"
#include "autograd/ops/shape.hpp"
#include "autograd/random.hpp"

namespace xg {

namespace {

using Jacobian = std::vector<std::vector<double>>;  // [input][element * n_out + out]

Tensor evaluate(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                const std::vector<Tensor>& inputs) {
  Tensor out = fn(inputs);
  autograd::check_defined("gradcheck", out);
  if (out.dtype() != Dtype::f64) {
    throw DtypeError("gradcheck: the function must return an f64 tensor, got " +
                     std::string(dtype_name(out.dtype())) + " of shape " + shape_str(out.shape()));
  }
  return out;
}

// Analytic Jacobian for the inputs that require grad; `scale` multiplies the one-hot
// output gradient (0 for the zero-gradient check).
Jacobian analytic(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                  const std::vector<Tensor>& inputs, double scale) {
  const Tensor out = evaluate(fn, inputs);
  const std::int64_t n_out = out.numel();
  Jacobian jac(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    jac[i].assign(static_cast<std::size_t>(inputs[i].numel() * n_out), 0.0);
  }
  std::vector<Tensor> wrt;
  std::vector<std::size_t> wrt_index;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].requires_grad()) {
      wrt.push_back(inputs[i]);
      wrt_index.push_back(i);
    }
  }
  if (!out.requires_grad()) return jac;  // output independent of every input: all zero
  for (std::int64_t j = 0; j < n_out; ++j) {
    Tensor seed = zeros(out.shape(), {.dtype = Dtype::f64});
    seed.mutable_data<double>()[j] = scale;
    auto grads =
        grad({out}, wrt, {.grad_outputs = {seed}, .retain_graph = true, .allow_unused = true});
    for (std::size_t k = 0; k < wrt.size(); ++k) {
      if (!grads[k].defined()) continue;
      const auto g = grads[k].to_vector<double>();
      auto& col = jac[wrt_index[k]];
      for (std::size_t e = 0; e < g.size(); ++e) col[e * n_out + j] = g[e];
    }
  }
  return jac;
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& opts) {
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    autograd::check_defined("gradcheck", inputs[i]);
    if (inputs[i].requires_grad() && inputs[i].dtype() != Dtype::f64) {
      throw DtypeError("gradcheck: input " + std::to_string(i) + " of shape " +
                       shape_str(inputs[i].shape()) + " is " +
                       std::string(dtype_name(inputs[i].dtype())) +
                       "; finite differences need f64 inputs");
    }
  }
  GradcheckResult result;
  const Jacobian jac = analytic(fn, inputs, 1.0);
  std::int64_t n_out = 0;
  {
    NoGradGuard ng;
    n_out = evaluate(fn, inputs).numel();
  }

  double worst_ratio = -1.0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].requires_grad()) continue;
    // Perturb the shared values in place: fn sees the same tensor objects.
    auto* values = detail::ptr<double>(inputs[i]);
    for (std::int64_t e = 0; e < inputs[i].numel(); ++e) {
      const double original = values[e];
      std::vector<double> plus, minus;
      {
        NoGradGuard ng;
        values[e] = original + opts.eps;
        plus = evaluate(fn, inputs).to_vector<double>();
        values[e] = original - opts.eps;
        minus = evaluate(fn, inputs).to_vector<double>();
        values[e] = original;
      }
      for (std::int64_t j = 0; j < n_out; ++j) {
        const double numeric = (plus[j] - minus[j]) / (2.0 * opts.eps);
        const double a = jac[i][e * n_out + j];
        const double err = std::abs(a - numeric);
        const double tol = opts.atol + opts.rtol * std::abs(numeric);
        result.max_error = std::max(result.max_error, std::isnan(err) ? INFINITY : err);
        const double ratio = std::isnan(err) ? INFINITY : err / tol;
        if (ratio > worst_ratio) {
          worst_ratio = ratio;
          result.input = static_cast<std::int64_t>(i);
          result.element = e;
          result.analytic = a;
          result.numeric = numeric;
          result.tolerance = tol;
        }
      }
    }
  }
  std::ostringstream msg;
  if (worst_ratio > 1.0) {
    result.ok = false;
    msg << "gradcheck: Jacobian mismatch for input " << result.input << " (shape "
        << shape_str(inputs[result.input].shape()) << "), element " << result.element
        << ": analytic " << result.analytic << ", numeric " << result.numeric << ", |difference| "
        << std::abs(result.analytic - result.numeric) << " > tolerance " << result.tolerance;
    result.message = msg.str();
    return result;
  }

  if (opts.check_zero_grad) {
    for (const auto& col : analytic(fn, inputs, 0.0)) {
      for (double v : col) {
        if (v != 0.0) {
          result.ok = false;
          result.message = "gradcheck: a zero output gradient gave a non-zero input gradient (" +
                           std::to_string(v) + ")";
          return result;
        }
      }
    }
  }
  if (opts.check_repeatability) {
    if (analytic(fn, inputs, 1.0) != jac) {
      result.ok = false;
      result.message = "gradcheck: two backward passes gave different gradients";
      return result;
    }
  }
  msg << "ok (max |analytic - numeric| = " << result.max_error << ")";
  result.message = msg.str();
  return result;
}

GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs, const GradcheckOptions& opts) {
  Shape out_shape;
  {
    NoGradGuard ng;
    out_shape = evaluate(fn, inputs).shape();
  }
  std::vector<Tensor> extended = inputs;
  extended.push_back(uniform(out_shape, -1.0, 1.0, {.dtype = Dtype::f64, .requires_grad = true}));
  const std::size_t n = inputs.size();
  auto first_order = [&fn, n](const std::vector<Tensor>& xs) {
    // gradcheck evaluates finite differences without recording; the first-order gradient
    // still needs its graph.
    EnableGradGuard enable;
    const std::vector<Tensor> ins(xs.begin(), xs.begin() + static_cast<std::ptrdiff_t>(n));
    const Tensor out = fn(ins);
    std::vector<Tensor> wrt;
    for (const auto& t : ins) {
      if (t.requires_grad()) wrt.push_back(t);
    }
    if (!out.requires_grad()) return zeros({0}, {.dtype = Dtype::f64});
    auto grads =
        grad({out}, wrt, {.grad_outputs = {xs[n]}, .create_graph = true, .allow_unused = true});
    std::vector<Tensor> flat;
    for (std::size_t i = 0; i < grads.size(); ++i) {
      flat.push_back(grads[i].defined() ? reshape(grads[i], {-1})
                                        : zeros({wrt[i].numel()}, {.dtype = Dtype::f64}));
    }
    return flat.empty() ? zeros({0}, {.dtype = Dtype::f64}) : concat(flat, 0);
  };
  return gradcheck(first_order, extended, opts);
}

}  // namespace xg
