// Model summary: one traced forward pass, then a text table.
#include "nn/summary.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace xg::nn {

namespace {

// 203530 -> "203,530".
std::string with_commas(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  const int len = static_cast<int>(digits.size());
  for (int i = 0; i < len; ++i) {
    if (i > 0 && (len - i) % 3 == 0) out += ',';
    out += digits[static_cast<std::size_t>(i)];
  }
  return n < 0 ? "-" + out : out;
}

std::int64_t count(const std::vector<Tensor>& params) {
  std::int64_t n = 0;
  for (const auto& p : params) n += p.numel();
  return n;
}

// Removes the hooks and restores the modes even if the forward throws.
struct TraceGuard {
  std::vector<HookHandle> hooks;
  std::vector<std::pair<Module*, bool>> modes;  // pre-order, see restore()
  ~TraceGuard() {
    for (auto& h : hooks) h.remove();
    // train(on) recurses into children, so setting the modes in pre-order leaves every
    // module with its own saved mode.
    for (auto& [m, on] : modes) m->train(on);
  }
};

std::string pad_right(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}
std::string pad_left(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

}  // namespace

ModelSummary summarize(Module& model, const Shape& input_shape) {
  ModelSummary s;
  s.model_type = model.type_name();
  s.input_shape = input_shape;
  const auto params = model.parameters();
  for (const auto& p : params) {
    s.total_parameters += p.numel();
    if (p.requires_grad()) s.trainable_parameters += p.numel();
    s.total_bytes += p.numel() * static_cast<std::int64_t>(dtype_size(p.dtype()));
  }
  const Dtype dtype = params.empty() ? f32 : params.front().dtype();

  const auto modules = model.named_modules();
  for (std::size_t i = 1; i < modules.size(); ++i) {  // modules[0] is the model itself
    const auto& [path, m] = modules[i];
    LayerSummary row;
    row.path = path;
    row.type_name = m->type_name();
    row.depth = static_cast<int>(std::count(path.begin(), path.end(), '.')) + 1;
    row.own_parameters = count(m->parameters(false));
    row.total_parameters = count(m->parameters(true));
    row.has_children = !m->named_children().empty();
    s.layers.push_back(row);
  }

  {
    TraceGuard guard;
    for (const auto& [path, m] : modules) guard.modes.emplace_back(m, m->is_training());
    for (std::size_t i = 1; i < modules.size(); ++i) {
      LayerSummary* row = &s.layers[i - 1];
      guard.hooks.push_back(modules[i].second->register_forward_hook(
          [row](Module&, const Tensor&, const Tensor& out) {
            row->called = true;
            row->output_shape = out.shape();
            return Tensor();
          }));
    }
    model.eval();
    NoGradGuard ng;
    const Tensor out = model(zeros(input_shape, {.dtype = dtype}));
    s.output_shape = out.shape();
  }
  return s;
}

std::string ModelSummary::str() const {
  struct Cells {
    std::string name, shape, params;
  };
  std::vector<Cells> rows;
  for (const auto& l : layers) {
    Cells c;
    c.name = std::string(static_cast<std::size_t>(2 * (l.depth - 1)), ' ') + l.path + " (" +
             l.type_name + ")";
    c.shape = l.called ? shape_str(l.output_shape) : "--";
    c.params = (l.has_children && l.own_parameters == 0) ? "--" : with_commas(l.own_parameters);
    rows.push_back(std::move(c));
  }
  const std::string h1 = "Layer (type)", h2 = "Output shape", h3 = "Param #";
  // Minimum widths as Keras' table; wider when a name or shape needs it.
  std::size_t w1 = 28, w2 = 18, w3 = 10;
  for (const auto& c : rows) {
    w1 = std::max(w1, c.name.size());
    w2 = std::max(w2, c.shape.size());
    w3 = std::max(w3, c.params.size());
  }
  w1 += 3;
  w2 += 3;
  const std::size_t width = w1 + w2 + w3;

  std::ostringstream os;
  os << model_type << ": input " << shape_str(input_shape) << " -> output "
     << shape_str(output_shape) << '\n';
  os << std::string(width, '-') << '\n';
  os << pad_right(h1, w1) << pad_right(h2, w2) << pad_left(h3, w3) << '\n';
  os << std::string(width, '=') << '\n';
  for (const auto& c : rows) {
    os << pad_right(c.name, w1) << pad_right(c.shape, w2) << pad_left(c.params, w3) << '\n';
  }
  os << std::string(width, '=') << '\n';
  os << "Total params: " << with_commas(total_parameters) << '\n';
  os << "Trainable params: " << with_commas(trainable_parameters) << '\n';
  os << "Non-trainable params: " << with_commas(total_parameters - trainable_parameters) << '\n';
  char mb[32];
  std::snprintf(mb, sizeof mb, "%.2f", static_cast<double>(total_bytes) / (1024.0 * 1024.0));
  os << "Params size (MB): " << mb << '\n';
  os << std::string(width, '-') << '\n';
  return os.str();
}

std::string summary(Module& model, const Shape& input_shape) {
  return summarize(model, input_shape).str();
}

}  // namespace xg::nn
