// `xgrad gradcheck`: the model `xgrad train` would build, in float64, its training loss
// on a small random batch, and xg::gradcheck over each parameter in turn.
//
// Note [gradcheck on a block]
// gradcheck perturbs every element of its inputs, two forward passes each; a 784x256
// weight would take 400,000 passes. A parameter larger than --max-elements is therefore
// checked on a block of whole rows (or elements, for a bias) at a random offset: the
// block is its own f64 leaf, and the forward pass rebuilds the parameter as
// concat(rows before, block, rows after), so the graph connects the block to the loss
// while the other rows stay constants.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "tools/xgrad/commands.hpp"
#include "tools/xgrad/evaluation.hpp"
#include "tools/xgrad/model_spec.hpp"
#include "tools/xgrad/phase.hpp"
#include "xgrad/autograd/gradcheck.hpp"
#include "xgrad/autograd/ops/elementwise.hpp"
#include "xgrad/autograd/ops/indexing.hpp"
#include "xgrad/autograd/ops/linalg.hpp"
#include "xgrad/autograd/ops/shape.hpp"
#include "xgrad/autograd/random.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/nn/regularization.hpp"

namespace xg::cli {

namespace {

// The parameter under test, standing in for `original` in the forward pass.
struct Replacement {
  const detail::TensorImpl* original = nullptr;
  std::int64_t start = 0, count = 0;  // the block along axis 0
};

Tensor rebuilt(const Tensor& p, const Replacement& r, const Tensor& block) {
  if (p.impl() != r.original) return p;
  const Tensor fixed = p.detach();
  std::vector<Tensor> pieces;
  if (r.start > 0) pieces.push_back(slice(fixed, 0, 0, r.start));
  pieces.push_back(block);
  if (r.start + r.count < p.shape()[0])
    pieces.push_back(slice(fixed, 0, r.start + r.count, p.shape()[0]));
  return pieces.size() == 1 ? block : concat(pieces, 0);
}

Tensor objective(nn::Sequential& model, const ModelSpec& spec, const Tensor& x, const Tensor& y,
                 const Replacement& r, const Tensor& block, double l1, double l2) {
  Tensor h = x;
  std::vector<Tensor> weights;
  for (const auto& m : model) {
    if (auto lin = std::dynamic_pointer_cast<nn::Linear>(m)) {
      const Tensor w = rebuilt(lin->weight, r, block);
      const Tensor b = lin->bias.defined() ? rebuilt(lin->bias, r, block) : Tensor();
      weights.push_back(w);
      h = linear(h, w, b);
    } else {
      h = (*m)(h);
    }
  }
  Tensor loss = compute_loss(spec.loss, h, y);
  if (l1 > 0) loss = loss + nn::l1_penalty(weights) * l1;
  if (l2 > 0) loss = loss + nn::l2_penalty(weights) * l2;
  return loss;
}

std::string sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2e", v);
  return buf;
}

}  // namespace

int run_gradcheck(const GradcheckCmdOptions& o) {
  if (o.batch < 1) throw UsageError("--batch must be >= 1, got " + std::to_string(o.batch));
  if (o.max_elements < 1) throw UsageError("--max-elements must be >= 1");
  if (!(o.eps > 0) || !(o.atol >= 0) || !(o.rtol >= 0)) {
    throw UsageError("--eps must be > 0, --atol and --rtol >= 0");
  }
  if (o.l1 < 0 || o.l2 < 0) throw UsageError("--l1 and --l2 must be >= 0");
  manual_seed(o.seed);
  const DataSpec data_spec = parse_data_spec(o.arch.dataset);
  DataOptions data_options = o.arch.data;
  data_options.seed = o.seed;
  set_phase("loading the data");
  const DataShape shape = data_shape(data_spec, data_options);

  ModelSpec spec;
  spec.inputs = shape.features;
  spec.outputs = shape.classes;
  spec.hidden = parse_hidden(o.arch.hidden);
  spec.activation = o.arch.activation;
  spec.loss = o.arch.loss;
  spec.dropout = o.arch.dropout;
  spec.normalize = o.arch.normalize == "auto" ? "per-feature" : o.arch.normalize;
  set_phase("building the model");
  auto model = build_model(spec);
  model->to(Dtype::f64);
  model->eval();  // dropout off: the function must be deterministic
  if (spec.normalize != "none") {
    // Non-trivial statistics, so that the layer's broadcasting is part of the check.
    const auto n = standardizer(*model)->mean().numel();
    standardizer(*model)->set(normal({n}, 0.0, 0.5, {.dtype = Dtype::f64}),
                              uniform({n}, 0.5, 2.0, {.dtype = Dtype::f64}));
  }
  const Tensor x = randn({o.batch, spec.inputs}, {.dtype = Dtype::f64});
  const Tensor y = randint(0, spec.outputs, {o.batch});

  std::cout << "gradcheck: " << spec.describe() << ", loss " << spec.loss << ", float64, batch "
            << o.batch << ", eps " << o.eps << ", atol " << o.atol << ", rtol " << o.rtol << "\n";
  std::size_t width = 9;
  const auto named = model->named_parameters();
  for (const auto& [name, p] : named) width = std::max(width, name.size());
  std::printf("%-*s  %-12s  %-13s  %-10s  %s\n", static_cast<int>(width), "parameter", "shape",
              "checked", "max error", "result");
  std::cout << std::flush;

  set_phase("checking the gradients");
  int failures = 0;
  for (const auto& [name, p] : named) {
    Replacement r{.original = p.impl(), .start = 0, .count = p.shape()[0]};
    const std::int64_t row = p.numel() / std::max<std::int64_t>(1, p.shape()[0]);
    if (p.numel() > o.max_elements) {
      r.count = std::max<std::int64_t>(1, o.max_elements / std::max<std::int64_t>(1, row));
      r.start = static_cast<std::int64_t>(
          random::next_below(static_cast<std::uint64_t>(p.shape()[0] - r.count + 1)));
    }
    Tensor block = slice(p.detach(), 0, r.start, r.start + r.count).detach();
    block.requires_grad_(true);
    auto fn = [&](const std::vector<Tensor>& in) {
      return objective(*model, spec, x, y, r, in[0], o.l1, o.l2);
    };
    const GradcheckResult res =
        gradcheck(fn, {block}, {.eps = o.eps, .atol = o.atol, .rtol = o.rtol});
    const std::string checked = std::to_string(block.numel()) + "/" + std::to_string(p.numel());
    std::printf("%-*s  %-12s  %-13s  %-10s  %s\n", static_cast<int>(width), name.c_str(),
                shape_str(p.shape()).c_str(), checked.c_str(), sci(res.max_error).c_str(),
                res.ok ? "ok" : "FAIL");
    if (!res.ok) {
      ++failures;
      std::printf("  %s\n", res.message.c_str());
    }
    std::fflush(stdout);
  }
  if (failures > 0) {
    std::cerr << "xgrad gradcheck: " << failures << " of " << named.size()
              << " parameters failed the gradient check\n";
    return 1;
  }
  std::cout << "gradcheck passed for all " << named.size() << " parameters\n";
  return 0;
}

}  // namespace xg::cli
