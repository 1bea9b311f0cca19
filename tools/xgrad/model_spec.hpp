// The architecture of the models `xgrad` trains: an MLP described by a ModelSpec, built
// into an nn::Sequential, and written into / read back from a model file's metadata so
// that `xgrad eval` can rebuild the model a file was trained as.
//
// Layout of the built model (parameter names follow from it):
//   "0"  Standardize   (x - mean) / scale with buffers "mean" and "scale": (inputs)
//                      per-feature, (1) global; mean 0 / scale 1 for normalize = "none"
//   then per hidden size h: Linear(prev, h), the activation, Dropout(p) when p > 0
//   then Linear(prev, outputs), and LogSoftmax(1) when the loss is "nll".
// The output row of a sample is therefore logits (log-probabilities for "nll");
// softmax of it gives class probabilities for every loss.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "xgrad/autograd/tensor.hpp"
#include "xgrad/nn/container.hpp"
#include "xgrad/nn/module.hpp"
#include "xgrad/nn/safetensors.hpp"

namespace xg::cli {

// The activations `--activation` accepts, in help order.
const std::vector<std::string>& activation_names();
// The losses `--loss` accepts, in help order.
const std::vector<std::string>& loss_names();
// Whether a loss takes class indices (cross-entropy, nll, multi-margin) rather than
// one-hot float targets (mse, l1, huber, smooth-l1, bce-with-logits).
bool loss_uses_class_indices(const std::string& loss);
// The loss module of nn/loss.hpp a name stands for (CrossEntropyLoss, NLLLoss, MSELoss,
// L1Loss, HuberLoss, SmoothL1Loss, MultiMarginLoss, BCEWithLogitsLoss), with the
// library's default options, called as loss(output, target). ValueError "unknown loss
// '<name>'" for another name.
nn::ModulePtr make_loss(const std::string& loss);

struct ModelSpec {
  std::int64_t inputs = 0;  // features per sample
  std::vector<std::int64_t> hidden = {256, 128};
  std::int64_t outputs = 0;  // classes
  std::string activation = "relu";
  double dropout = 0.0;                // after each hidden activation
  std::string loss = "cross-entropy";  // decides the output layer
  std::string normalize = "global";    // "global", "per-feature" or "none"
  std::vector<std::string> class_names = {};

  // Throws ValueError for sizes < 1, an unknown activation/loss/normalize, dropout
  // outside [0, 1), or class_names of the wrong count.
  void validate() const;
  // "784-256-128-10 relu" (plus ", dropout 0.2" when set).
  std::string describe() const;
};

// "256,128" -> {256, 128}; "" or "none" -> {} (no hidden layer: a linear model).
// Throws ValueError naming the text for anything else that is not a comma-separated
// list of positive integers.
std::vector<std::int64_t> parse_hidden(const std::string& text);
// {256, 128} -> "256,128" ({} -> "none").
std::string format_hidden(const std::vector<std::int64_t>& hidden);

// (x - mean) / scale, with buffers "mean" and "scale" of shape (features) or (1).
class Standardize : public nn::Module {
 public:
  Standardize(Tensor mean, Tensor scale);
  using nn::Module::forward;
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  // Sets the buffers' values (converted to their dtype); shapes must match.
  void set(const Tensor& mean, const Tensor& scale);
  const Tensor& mean() const { return mean_; }
  const Tensor& scale() const { return scale_; }

 private:
  Tensor mean_, scale_;
};

// Builds the model (validating the spec first); Standardize starts as mean 0, scale 1.
std::shared_ptr<nn::Sequential> build_model(const ModelSpec& spec);
// The model's Standardize layer (module "0").
std::shared_ptr<Standardize> standardizer(const nn::Sequential& model);

// The metadata key holding the spec as JSON.
inline constexpr const char* kModelKey = "xgrad.model";
// Spec <-> JSON text.
std::string spec_to_json(const ModelSpec& spec);
// Throws FormatError naming `source` and what is wrong.
ModelSpec spec_from_json(const std::string& json, const std::string& source);
// The spec stored in a model file's metadata; FormatError naming the file when the file
// was not written by `xgrad train` (no kModelKey) or the spec is invalid.
ModelSpec spec_from_metadata(const nn::Metadata& metadata, const std::string& path);
// The spec of a model file read by nn::load_tensor_file, checked against the file's
// tensors before anything is built: the file must hold exactly the tensors build_model
// would make (as many, by name, each of the shape the spec gives). So every size in the
// spec is backed by the file's data, and a small file cannot ask for gigabytes. Throws
// FormatError naming the file, the metadata fields and the tensor that disagree.
ModelSpec spec_from_model_file(const nn::TensorFile& file, const std::string& path);

}  // namespace xg::cli
