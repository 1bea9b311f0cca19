#include "tools/xgrad/training_util.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>

#include "tools/xgrad/evaluation.hpp"
#include "xgrad/autograd/ops/elementwise.hpp"
#include "xgrad/autograd/ops/reduce.hpp"
#include "xgrad/autograd/random.hpp"
#include "xgrad/nn/regularization.hpp"

namespace xg::cli {

ModelSpec make_spec(const ArchOptions& arch, const DataSpec& data_spec, const LoadedData& data) {
  ModelSpec spec;
  spec.inputs = data.features();
  spec.outputs = data.num_classes;
  spec.hidden = parse_hidden(arch.hidden);
  spec.activation = arch.activation;
  spec.loss = arch.loss;
  spec.dropout = arch.dropout;
  spec.class_names = data.class_names;
  if (arch.normalize == "auto") {
    const bool images =
        data_spec.kind == "fashion-mnist" || data_spec.kind == "mnist" || data_spec.kind == "idx";
    spec.normalize = images ? "global" : "per-feature";
  } else {
    spec.normalize = arch.normalize;
  }
  spec.validate();
  return spec;
}

void fit_standardizer(nn::Sequential& model, const ModelSpec& spec, const data::Dataset& fit) {
  if (spec.normalize == "none") return;
  const auto scaler =
      data::StandardScaler::fit(fit, {.per_feature = spec.normalize == "per-feature"});
  standardizer(model)->set(scaler.mean().reshape({-1}), scaler.scale().reshape({-1}));
}

std::vector<Tensor> weight_matrices(const nn::Module& model) {
  std::vector<Tensor> weights;
  for (const auto& p : model.parameters()) {
    if (p.dim() == 2) weights.push_back(p);
  }
  return weights;
}

Tensor forward_with_noise(nn::Sequential& model, const Tensor& x, double noise) {
  if (noise <= 0) return model(x);
  Tensor h = (*model[0])(x);
  h = h + randn(h.shape(), {.dtype = h.dtype()}) * noise;
  for (std::int64_t i = 1; i < model.size(); ++i) h = (*model[i])(h);
  return h;
}

namespace {

template <class T> void max_norm_rows(Tensor& w, double max_norm) {
  const std::int64_t rows = w.shape()[0], cols = w.shape()[1];
  auto v = w.mutable_data<T>();
  for (std::int64_t r = 0; r < rows; ++r) {
    double sq = 0.0;
    for (std::int64_t c = 0; c < cols; ++c) sq += double(v[r * cols + c]) * double(v[r * cols + c]);
    const double norm = std::sqrt(sq);
    if (norm > max_norm) {
      const double factor = max_norm / norm;
      for (std::int64_t c = 0; c < cols; ++c)
        v[r * cols + c] = static_cast<T>(v[r * cols + c] * factor);
    }
  }
}

template <class T> bool all_finite(const Tensor& t) {
  for (T v : t.data<T>()) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

// "nan" whatever its sign bit (std::to_string gives "-nan" for some NaNs), "inf", "-inf".
std::string number_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return std::to_string(v);
}

}  // namespace

void apply_max_norm(const std::vector<Tensor>& weights, double max_norm) {
  NoGradGuard no_grad;
  for (Tensor w : weights) {
    if (w.dtype() == Dtype::f64) {
      max_norm_rows<double>(w, max_norm);
    } else {
      max_norm_rows<float>(w, max_norm);
    }
  }
}

bool gradients_finite(const std::vector<Tensor>& params) {
  for (const auto& p : params) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const bool ok = g.dtype() == Dtype::f64 ? all_finite<double>(g) : all_finite<float>(g);
    if (!ok) return false;
  }
  return true;
}

StepResult train_step(nn::Sequential& model, optim::Optimizer& opt, const data::Batch& batch,
                      const StepOptions& o) {
  StepResult r;
  r.samples = batch.x.shape()[0];
  opt.zero_grad();
  const Tensor out = forward_with_noise(model, batch.x, o.input_noise);
  const Tensor data_loss = compute_loss(o.loss, out, batch.y);
  r.loss = data_loss.item();
  if (!std::isfinite(r.loss)) {
    r.ok = false;
    r.problem = "the loss is " + number_text(r.loss);
    return r;
  }
  Tensor total = data_loss;
  if (o.l1 > 0 || o.l2 > 0) {
    const auto weights = weight_matrices(model);
    if (o.l1 > 0) total = total + nn::l1_penalty(weights) * o.l1;
    if (o.l2 > 0) total = total + nn::l2_penalty(weights) * o.l2;
  }
  total.backward();
  const auto params = opt.all_params();
  if (!gradients_finite(params)) {
    r.ok = false;
    r.problem = "a gradient is not finite (the loss was " + number_text(r.loss) + ")";
    return r;
  }
  opt.step();
  if (o.max_norm > 0) apply_max_norm(weight_matrices(model), o.max_norm);
  const auto pred = argmax(out.detach(), 1).to_vector<std::int64_t>();
  const auto truth = batch.y.to_vector<std::int64_t>();
  for (std::size_t i = 0; i < pred.size(); ++i) r.correct += pred[i] == truth[i] ? 1 : 0;
  return r;
}

void EpochStats::add(const StepResult& r) {
  loss_sum += r.loss * r.samples;
  samples += r.samples;
  correct += r.correct;
}

double EpochStats::mean_loss() const {
  return samples > 0 ? loss_sum / samples : std::numeric_limits<double>::quiet_NaN();
}

double EpochStats::accuracy() const {
  return samples > 0 ? static_cast<double>(correct) / samples : 0.0;
}

nn::StateDict copy_state(const nn::Module& model) {
  NoGradGuard no_grad;
  nn::StateDict copy;
  for (const auto& [name, t] : model.state_dict()) copy[name] = t.detach().clone();
  return copy;
}

std::string describe_training_setup(const nn::Metadata& metadata) {
  const auto it = metadata.find("xgrad.training");
  if (it == metadata.end()) return "";
  const auto training = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (!training.is_object() || !training.contains("threads") ||
      !training["threads"].is_number_integer() || !training.contains("blas_kernel") ||
      !training["blas_kernel"].is_string()) {
    return "";
  }
  return "trained with " + training["threads"].dump() + " threads, BLAS kernel " +
         training["blas_kernel"].get<std::string>();
}

}  // namespace xg::cli
