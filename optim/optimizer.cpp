#include "optim/optimizer.hpp"

#include <charconv>
#include <cmath>
#include <set>
#include <unordered_map>

#include "autograd/function.hpp"

namespace xg::optim {

Optimizer::Optimizer(std::string name, std::vector<std::string> buffer_names, bool uses_step)
    : name_(std::move(name)), buffer_names_(std::move(buffer_names)), uses_step_(uses_step) {}

void Optimizer::zero_grad(bool set_to_none) {
  for (auto& group : params_) {
    for (auto& p : group) p.zero_grad(set_to_none);
  }
}

const std::vector<Tensor>& Optimizer::params(std::size_t group) const {
  check_group(group);
  return params_[group];
}

std::vector<Tensor> Optimizer::all_params() const {
  std::vector<Tensor> out;
  for (const auto& group : params_) out.insert(out.end(), group.begin(), group.end());
  return out;
}

void Optimizer::set_lr(double lr, std::size_t group) {
  check_group(group);
  check_lr(group, lr);
  lr_ref(group) = lr;
}

void Optimizer::set_lr(double lr) {
  // Validate every group before changing any, so a bad value changes nothing.
  for (std::size_t g = 0; g < num_param_groups(); ++g) check_lr(g, lr);
  for (std::size_t g = 0; g < num_param_groups(); ++g) lr_ref(g) = lr;
}

bool Optimizer::has_option(const std::string& name) const {
  for (const auto& n : option_names()) {
    if (n == name) return true;
  }
  return false;
}

// ---- helpers for the concrete optimizers ------------------------------------------------

void Optimizer::add_params(std::vector<Tensor> params) {
  const std::size_t g = params_.size();
  if (params.empty()) {
    if (g == 0) throw ValueError(name_ + ": got an empty parameter list");
    throw ValueError(name_ + ": parameter group " + std::to_string(g) +
                     " got an empty parameter list");
  }
  // Where each parameter already in the optimizer lives, to name the first occurrence of a
  // duplicate (PyTorch only says "some parameters appear in more than one group").
  std::unordered_map<const void*, std::pair<std::size_t, std::size_t>> seen;
  for (std::size_t h = 0; h < params_.size(); ++h) {
    for (std::size_t i = 0; i < params_[h].size(); ++i) seen[params_[h][i].impl()] = {h, i};
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    const std::string which =
        name_ + ": parameter " + std::to_string(i) + " of group " + std::to_string(g);
    if (!p.defined()) throw ValueError(which + " is undefined");
    const std::string what = which + " (shape " + shape_str(p.shape()) + ")";
    if (!p.is_leaf()) {
      throw ValueError(what + " is not a leaf (it was produced by " + p.grad_fn_name() +
                       "); an optimizer updates leaf tensors only");
    }
    // A parameter that does not require grad is accepted, as in PyTorch: it is a frozen
    // part of the model, skipped by step() while it has no gradient, and updated again
    // once unfrozen (requires_grad_(true)) and given one.
    const auto [it, inserted] = seen.emplace(p.impl(), std::make_pair(g, i));
    if (!inserted) {
      throw ValueError(what + " is already parameter " + std::to_string(it->second.second) +
                       " of group " + std::to_string(it->second.first) +
                       ": a parameter may appear only once in an optimizer");
    }
  }
  state_.emplace_back(params.size());
  for (auto& s : state_.back()) s.buffers.resize(buffer_names_.size());
  params_.push_back(std::move(params));
}

Tensor Optimizer::grad_of(std::size_t group, std::size_t i) const {
  const Tensor& p = params_[group][i];
  Tensor g = p.grad();
  if (!g.defined()) return g;
  if (g.dtype() != p.dtype() || g.shape() != p.shape()) {
    const std::string msg = name_ + ": the gradient of parameter " + std::to_string(i) +
                            " of group " + std::to_string(group) + " is " +
                            std::string(dtype_name(g.dtype())) + " " + shape_str(g.shape()) +
                            ", the parameter is " + std::string(dtype_name(p.dtype())) + " " +
                            shape_str(p.shape());
    if (g.dtype() != p.dtype()) throw DtypeError(msg);
    throw ShapeError(msg);
  }
  return g;
}

Tensor& Optimizer::buffer(ParamState& state, std::size_t k, const Tensor& p) {
  Tensor& b = state.buffers[k];
  if (!b.defined()) {
    b = zeros(p.shape(), {.dtype = p.dtype()});
  } else if (b.dtype() != p.dtype()) {
    // The model was converted (Module::to) after this buffer was made.
    NoGradGuard no_grad;
    b = b.detach().to(p.dtype());
  }
  return b;
}

void Optimizer::require(bool ok, const std::string& option, double value, const char* rule) const {
  if (!ok) throw ValueError(name_ + ": invalid " + option + " = " + number(value) + ": " + rule);
}

void Optimizer::check_group(std::size_t group) const {
  if (group >= params_.size()) {
    throw ValueError(name_ + ": parameter group " + std::to_string(group) +
                     " is out of range (the optimizer has " + std::to_string(params_.size()) +
                     " groups)");
  }
}

std::string Optimizer::number(double v) {
  char buf[64];
  // Shortest round-trip digits in %g style: 0.0001, 1e-08.
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general);
  return std::string(buf, r.ptr);
}

// ---- state_dict ---------------------------------------------------------------------------

namespace {

Tensor copy_of(const Tensor& t, Dtype dtype) {
  NoGradGuard no_grad;
  Tensor c = t.detach().clone();
  return c.dtype() == dtype ? c : c.to(dtype);
}

std::string group_key(std::size_t g, const std::string& name) {
  return "param_groups." + std::to_string(g) + "." + name;
}

std::string state_key(std::size_t i, const std::string& name) {
  return "state." + std::to_string(i) + "." + name;
}

}  // namespace

StateDict Optimizer::state_dict() const {
  StateDict out;
  const auto names = option_names();
  std::int64_t index = 0;
  for (std::size_t g = 0; g < params_.size(); ++g) {
    const auto values = option_values(g);
    for (std::size_t k = 0; k < names.size(); ++k) {
      out[group_key(g, names[k])] = scalar_tensor(values[k], {.dtype = f64});
    }
    std::vector<std::int64_t> indices;
    for (std::size_t i = 0; i < params_[g].size(); ++i) {
      const ParamState& s = state_[g][i];
      if (s.initialized) {
        if (uses_step_) {
          out[state_key(index, "step")] =
              scalar_tensor(static_cast<double>(s.step), {.dtype = f64});
        }
        for (std::size_t k = 0; k < buffer_names_.size(); ++k) {
          if (s.buffers[k].defined()) {
            out[state_key(index, buffer_names_[k])] = copy_of(s.buffers[k], s.buffers[k].dtype());
          }
        }
      }
      indices.push_back(index++);
    }
    out[group_key(g, "params")] = tensor_i64(indices, {static_cast<std::int64_t>(indices.size())});
  }
  return out;
}

// Note [load_state_dict is all or nothing]
// Every key is checked and every new value prepared before the optimizer changes, so a
// failed load leaves the optimizer exactly as it was (like Module::load_state_dict).
void Optimizer::load_state_dict(const StateDict& state) {
  const std::string where = name_ + ".load_state_dict: ";
  std::set<std::string> used;
  auto find = [&](const std::string& key) -> const Tensor* {
    auto it = state.find(key);
    if (it == state.end()) return nullptr;
    used.insert(key);
    if (!it->second.defined())
      throw ValueError(where + "key '" + key + "' holds an undefined tensor");
    return &it->second;
  };
  auto scalar = [&](const std::string& key, const Tensor& t) {
    if (t.numel() != 1 || !is_floating(t.dtype())) {
      throw ValueError(where + "key '" + key + "' must hold one f32/f64 number, got " +
                       std::string(dtype_name(t.dtype())) + " " + shape_str(t.shape()));
    }
    return t.item();
  };
  auto missing = [&](const std::string& key) {
    return ValueError(where + "missing key '" + key + "'");
  };

  // Options of every group.
  const auto names = option_names();
  std::vector<std::vector<double>> new_options(params_.size());
  for (std::size_t g = 0; g < params_.size(); ++g) {
    for (const auto& n : names) {
      const std::string key = group_key(g, n);
      const Tensor* t = find(key);
      if (t == nullptr) throw missing(key);
      new_options[g].push_back(scalar(key, *t));
    }
    try {
      check_option_values(new_options[g]);
    } catch (const ValueError& e) {
      throw ValueError(where + "parameter group " + std::to_string(g) + ": " + e.what());
    }
    const std::string key = group_key(g, "params");
    const Tensor* t = find(key);
    if (t == nullptr) throw missing(key);
    if (t->dtype() != i64 || t->dim() != 1 ||
        static_cast<std::size_t>(t->numel()) != params_[g].size()) {
      throw ValueError(where + "key '" + key + "' lists " + std::to_string(t->numel()) +
                       " parameters (" + std::string(dtype_name(t->dtype())) + " " +
                       shape_str(t->shape()) + "), but group " + std::to_string(g) +
                       " of this optimizer has " + std::to_string(params_[g].size()));
    }
  }

  // Per-parameter state.
  std::vector<std::vector<ParamState>> new_state(params_.size());
  std::size_t index = 0;
  for (std::size_t g = 0; g < params_.size(); ++g) {
    for (std::size_t i = 0; i < params_[g].size(); ++i, ++index) {
      const Tensor& p = params_[g][i];
      ParamState s;
      s.buffers.resize(buffer_names_.size());
      const std::string step_key = state_key(index, "step");
      const Tensor* step = uses_step_ ? find(step_key) : nullptr;
      std::vector<const Tensor*> found(buffer_names_.size());
      bool any = step != nullptr;
      for (std::size_t k = 0; k < buffer_names_.size(); ++k) {
        found[k] = find(state_key(index, buffer_names_[k]));
        any = any || found[k] != nullptr;
      }
      if (any) {
        s.initialized = true;
        if (uses_step_) {
          if (step == nullptr) throw missing(step_key);
          const double v = scalar(step_key, *step);
          if (!(v >= 0 && v <= 9.0e15 && v == std::floor(v))) {
            throw ValueError(where + "key '" + step_key + "' must be a non-negative integer, got " +
                             number(v));
          }
          s.step = static_cast<std::int64_t>(v);
        }
        for (std::size_t k = 0; k < buffer_names_.size(); ++k) {
          const std::string key = state_key(index, buffer_names_[k]);
          if (found[k] == nullptr) {
            if (uses_buffer_values(new_options[g], k)) throw missing(key);
            continue;
          }
          const Tensor& b = *found[k];
          if (!is_floating(b.dtype())) {
            throw DtypeError(where + "key '" + key +
                             "' holds i64 values; optimizer state is f32/f64");
          }
          if (b.shape() != p.shape()) {
            throw ShapeError(where + "key '" + key + "' has shape " + shape_str(b.shape()) +
                             ", but parameter " + std::to_string(i) + " of group " +
                             std::to_string(g) + " has shape " + shape_str(p.shape()));
          }
          s.buffers[k] = copy_of(b, p.dtype());
        }
      }
      new_state[g].push_back(std::move(s));
    }
  }

  for (const auto& [key, t] : state) {
    if (!used.count(key)) {
      throw ValueError(where + "unexpected key '" + key + "' (not part of a " + name_ +
                       " state with " + std::to_string(params_.size()) + " parameter groups and " +
                       std::to_string(index) + " parameters)");
    }
  }

  for (std::size_t g = 0; g < params_.size(); ++g) set_option_values(g, new_options[g]);
  state_ = std::move(new_state);
}

}  // namespace xg::optim
