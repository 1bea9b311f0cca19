#include "tools/xgrad/model_spec.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "xgrad/autograd/ops/elementwise.hpp"
#include "xgrad/data/datasets.hpp"
#include "xgrad/nn/activation.hpp"
#include "xgrad/nn/layers.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/nn/loss.hpp"

namespace xg::cli {

using json = nlohmann::json;

const std::vector<std::string>& activation_names() {
  static const std::vector<std::string> names = {"relu", "tanh",       "sigmoid",
                                                 "gelu", "leaky_relu", "elu"};
  return names;
}

namespace {

// Every loss `--loss` accepts: its name, the nn/loss.hpp module it builds (with the
// library's default options) and whether that module takes class indices.
struct LossChoice {
  const char* name;
  bool class_indices;
  nn::ModulePtr (*make)();
};

template <class Loss> nn::ModulePtr make_module() { return std::make_shared<Loss>(); }

const std::vector<LossChoice>& loss_choices() {
  static const std::vector<LossChoice> choices = {
      {"cross-entropy", true, make_module<nn::CrossEntropyLoss>},
      {"nll", true, make_module<nn::NLLLoss>},
      {"mse", false, make_module<nn::MSELoss>},
      {"l1", false, make_module<nn::L1Loss>},
      {"huber", false, make_module<nn::HuberLoss>},
      {"smooth-l1", false, make_module<nn::SmoothL1Loss>},
      {"multi-margin", true, make_module<nn::MultiMarginLoss>},
      {"bce-with-logits", false, make_module<nn::BCEWithLogitsLoss>},
  };
  return choices;
}

const LossChoice* find_loss(const std::string& name) {
  for (const auto& c : loss_choices()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

}  // namespace

const std::vector<std::string>& loss_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& c : loss_choices()) out.emplace_back(c.name);
    return out;
  }();
  return names;
}

bool loss_uses_class_indices(const std::string& loss) {
  const LossChoice* c = find_loss(loss);
  return c != nullptr && c->class_indices;
}

nn::ModulePtr make_loss(const std::string& loss) {
  const LossChoice* c = find_loss(loss);
  if (c == nullptr) throw ValueError("unknown loss '" + loss + "'");
  return c->make();
}

namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

nn::AnyModule make_activation(const std::string& name) {
  if (name == "relu") return nn::ReLU();
  if (name == "tanh") return nn::Tanh();
  if (name == "sigmoid") return nn::Sigmoid();
  if (name == "gelu") return nn::GELU();
  if (name == "leaky_relu") return nn::LeakyReLU();
  if (name == "elu") return nn::ELU();
  throw ValueError("unknown activation '" + name + "' (choose from " + join(activation_names()) +
                   ")");
}

}  // namespace

void ModelSpec::validate() const {
  if (inputs < 1)
    throw ValueError("model: the number of inputs must be >= 1, got " + std::to_string(inputs));
  if (outputs < 1) {
    throw ValueError("model: the number of classes must be >= 1, got " + std::to_string(outputs));
  }
  for (auto h : hidden) {
    if (h < 1) throw ValueError("model: hidden sizes must be >= 1, got " + std::to_string(h));
  }
  if (!contains(activation_names(), activation)) {
    throw ValueError("unknown activation '" + activation + "' (choose from " +
                     join(activation_names()) + ")");
  }
  if (!contains(loss_names(), loss)) {
    throw ValueError("unknown loss '" + loss + "' (choose from " + join(loss_names()) + ")");
  }
  if (normalize != "global" && normalize != "per-feature" && normalize != "none") {
    throw ValueError("unknown normalization '" + normalize +
                     "' (choose from global, per-feature, none)");
  }
  // NaN fails both comparisons, so write the test to reject it.
  if (!(dropout >= 0.0 && dropout < 1.0)) {
    throw ValueError("dropout must be in [0, 1), got " + std::to_string(dropout));
  }
  if (outputs > data::kMaxClasses) {
    throw ValueError("model: " + std::to_string(outputs) + " classes; xgrad handles at most " +
                     std::to_string(data::kMaxClasses));
  }
  if (!class_names.empty() && static_cast<std::int64_t>(class_names.size()) != outputs) {
    throw ValueError("model: " + std::to_string(class_names.size()) + " class names for " +
                     std::to_string(outputs) + " classes");
  }
}

std::string ModelSpec::describe() const {
  std::ostringstream os;
  os << inputs;
  for (auto h : hidden) os << '-' << h;
  os << '-' << outputs << ' ' << activation;
  if (dropout > 0) os << ", dropout " << dropout;
  return os.str();
}

std::vector<std::int64_t> parse_hidden(const std::string& text) {
  if (text.empty() || text == "none") return {};
  std::vector<std::int64_t> sizes;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string item =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(item.c_str(), &end, 10);
    if (item.empty() || end != item.c_str() + item.size() || errno != 0 || v < 1 ||
        v > (1LL << 24)) {
      throw ValueError(
          "--hidden: expected comma-separated positive sizes such as 256,128 (or "
          "'none'), got '" +
          text + "'");
    }
    sizes.push_back(v);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return sizes;
}

std::string format_hidden(const std::vector<std::int64_t>& hidden) {
  if (hidden.empty()) return "none";
  std::string out;
  for (auto h : hidden) {
    if (!out.empty()) out += ',';
    out += std::to_string(h);
  }
  return out;
}

// --- Standardize ---------------------------------------------------------------------------

Standardize::Standardize(Tensor mean, Tensor scale) : Module("Standardize") {
  mean_ = register_buffer("mean", std::move(mean));
  scale_ = register_buffer("scale", std::move(scale));
}

Tensor Standardize::forward(const Tensor& input) { return (input - mean_) / scale_; }

std::string Standardize::extra_repr() const { return "features=" + std::to_string(mean_.numel()); }

void Standardize::set(const Tensor& mean, const Tensor& scale) {
  if (mean.shape() != mean_.shape() || scale.shape() != scale_.shape()) {
    throw ShapeError("Standardize: expected mean and scale of shape " + shape_str(mean_.shape()) +
                     ", got " + shape_str(mean.shape()) + " and " + shape_str(scale.shape()));
  }
  // Buffers never require grad, so copying into them needs no guard; copy_ converts dtype.
  mean_.copy_(mean.to(mean_.dtype()));
  scale_.copy_(scale.to(scale_.dtype()));
}

namespace {

// One layer of the model a spec builds, in order.
struct Layer {
  enum class Kind { standardize, linear, activation, dropout, log_softmax } kind;
  // standardize: size = in = out; linear: in and out features.
  std::int64_t in = 0, out = 0;
  // The spec's fields that give in and out, for messages: "inputs", "hidden[0]", ...
  // (standardize: "normalize" and, per feature, "inputs")
  std::string in_field, out_field;
};

// The layout of model_spec.hpp, which build_model builds and spec_from_model_file checks.
std::vector<Layer> layers_of(const ModelSpec& spec) {
  using Kind = Layer::Kind;
  std::vector<Layer> out;
  if (spec.normalize == "per-feature") {
    out.push_back({Kind::standardize, spec.inputs, spec.inputs, "inputs", "normalize"});
  } else {
    out.push_back({Kind::standardize, 1, 1, "", "normalize"});
  }
  std::int64_t prev = spec.inputs;
  std::string prev_field = "inputs";
  for (std::size_t i = 0; i < spec.hidden.size(); ++i) {
    std::string field = "hidden[" + std::to_string(i) + "]";
    out.push_back({Kind::linear, prev, spec.hidden[i], prev_field, field});
    out.push_back({Kind::activation, 0, 0, "", ""});
    if (spec.dropout > 0) out.push_back({Kind::dropout, 0, 0, "", ""});
    prev = spec.hidden[i];
    prev_field = std::move(field);
  }
  out.push_back({Kind::linear, prev, spec.outputs, prev_field, "outputs"});
  if (spec.loss == "nll") out.push_back({Kind::log_softmax, 0, 0, "", ""});
  return out;
}

// The value of a spec field named in a message: "\"hidden[0]\": 256".
std::string field_value(const ModelSpec& spec, const std::string& field, std::int64_t value) {
  if (field == "normalize") return "\"normalize\": \"" + spec.normalize + '"';
  return '"' + field + "\": " + std::to_string(value);
}

}  // namespace

std::shared_ptr<nn::Sequential> build_model(const ModelSpec& spec) {
  spec.validate();
  auto model = std::make_shared<nn::Sequential>();
  for (const Layer& layer : layers_of(spec)) {
    switch (layer.kind) {
      case Layer::Kind::standardize:
        model->push_back(Standardize(zeros({layer.out}), ones({layer.out})));
        break;
      case Layer::Kind::linear: model->push_back(nn::Linear(layer.in, layer.out)); break;
      case Layer::Kind::activation: model->push_back(make_activation(spec.activation)); break;
      case Layer::Kind::dropout: model->push_back(nn::Dropout(spec.dropout)); break;
      case Layer::Kind::log_softmax: model->push_back(nn::LogSoftmax(1)); break;
    }
  }
  return model;
}

std::shared_ptr<Standardize> standardizer(const nn::Sequential& model) {
  return model.at<Standardize>(0);
}

// --- metadata -------------------------------------------------------------------------------

std::string spec_to_json(const ModelSpec& spec) {
  json j;
  j["format"] = 1;
  j["inputs"] = spec.inputs;
  j["hidden"] = spec.hidden;
  j["outputs"] = spec.outputs;
  j["activation"] = spec.activation;
  j["dropout"] = spec.dropout;
  j["loss"] = spec.loss;
  j["normalize"] = spec.normalize;
  j["class_names"] = spec.class_names;
  return j.dump();
}

ModelSpec spec_from_json(const std::string& text, const std::string& source) {
  ModelSpec spec;
  try {
    const json j = json::parse(text);
    spec.inputs = j.at("inputs").get<std::int64_t>();
    spec.hidden = j.at("hidden").get<std::vector<std::int64_t>>();
    spec.outputs = j.at("outputs").get<std::int64_t>();
    spec.activation = j.at("activation").get<std::string>();
    spec.dropout = j.value("dropout", 0.0);
    spec.loss = j.at("loss").get<std::string>();
    spec.normalize = j.at("normalize").get<std::string>();
    spec.class_names = j.value("class_names", std::vector<std::string>{});
    spec.validate();
  } catch (const json::exception& e) {
    throw FormatError(source + ": invalid model description in metadata '" + kModelKey +
                      "': " + e.what());
  } catch (const ValueError& e) {
    throw FormatError(source + ": invalid model description in metadata '" + kModelKey +
                      "': " + e.what());
  }
  return spec;
}

ModelSpec spec_from_metadata(const nn::Metadata& metadata, const std::string& path) {
  const auto it = metadata.find(kModelKey);
  if (it == metadata.end()) {
    throw FormatError(path + ": no model description in the file's metadata (key '" +
                      std::string(kModelKey) + "'); was it saved by `xgrad train --save`?");
  }
  return spec_from_json(it->second, path);
}

ModelSpec spec_from_model_file(const nn::TensorFile& file, const std::string& path) {
  const ModelSpec spec = spec_from_metadata(file.metadata, path);
  const std::string where = path + ": the model description in metadata '" + kModelKey +
                            "' does not fit the file's tensors: ";
  // Count first: the layer list is only made for a spec that the tensors can back.
  // Two tensors per layer: Standardize's mean and scale, each Linear's weight and bias.
  const std::size_t tensors = 2 + 2 * (spec.hidden.size() + 1);
  if (file.tensors.size() != tensors) {
    throw FormatError(where + "\"hidden\" lists " + std::to_string(spec.hidden.size()) +
                      " hidden layers, so the model has " + std::to_string(tensors) +
                      " tensors, but the file holds " + std::to_string(file.tensors.size()) +
                      " tensors");
  }
  const auto check = [&](const std::string& name, const Shape& shape, const std::string& given) {
    const auto it = file.tensors.find(name);
    if (it == file.tensors.end()) {
      throw FormatError(where + "the file holds no tensor \"" + name + "\" (the description (" +
                        given + ") gives it shape " + shape_str(shape) + ")");
    }
    if (!is_floating(it->second.dtype())) {
      throw FormatError(where + "tensor \"" + name + "\" is " +
                        std::string(dtype_name(it->second.dtype())) +
                        "; the model's tensors are floating point");
    }
    if (it->second.shape() != shape) {
      throw FormatError(where + "tensor \"" + name + "\" has shape " +
                        shape_str(it->second.shape()) + ", but the description (" + given +
                        ") gives " + shape_str(shape));
    }
  };
  const std::vector<Layer> layers = layers_of(spec);
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    const std::string prefix = std::to_string(i) + '.';
    const std::string out = field_value(spec, l.out_field, l.out);
    const std::string both =
        l.in_field.empty() ? out : out + ", " + field_value(spec, l.in_field, l.in);
    if (l.kind == Layer::Kind::standardize) {
      check(prefix + "mean", {l.out}, both);
      check(prefix + "scale", {l.out}, both);
    } else if (l.kind == Layer::Kind::linear) {
      check(prefix + "weight", {l.out, l.in}, both);
      check(prefix + "bias", {l.out}, out);
    }
  }
  return spec;
}

}  // namespace xg::cli
