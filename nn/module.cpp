// Module: registration, traversal, state dicts, hooks and printing.
#include "nn/module.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <ostream>
#include <sstream>
#include <string_view>
#include <typeinfo>
#include <unordered_set>

#include "autograd/errors.hpp"
#include "autograd/function.hpp"

namespace xg::nn {

Module::Module(std::string type_name)
    : type_name_(std::move(type_name)),
      forward_hooks_(std::make_shared<std::vector<std::pair<int, ForwardHook>>>()),
      backward_hooks_(std::make_shared<std::vector<std::pair<int, BackwardHook>>>()) {}

Module::Module(const Module& other)
    : std::enable_shared_from_this<Module>(other),
      type_name_(other.type_name_),
      training_(other.training_),
      params_(other.params_),
      buffers_(other.buffers_),
      children_(other.children_),
      param_index_(other.param_index_),
      buffer_index_(other.buffer_index_),
      child_index_(other.child_index_),
      forward_hooks_(
          std::make_shared<std::vector<std::pair<int, ForwardHook>>>(*other.forward_hooks_)),
      backward_hooks_(
          std::make_shared<std::vector<std::pair<int, BackwardHook>>>(*other.backward_hooks_)),
      next_hook_id_(other.next_hook_id_) {}

Module& Module::operator=(const Module& other) {
  if (this != &other) {
    Module copy(other);
    *this = std::move(copy);
  }
  return *this;
}

namespace {

// The C++ type of a module, e.g. "(anonymous namespace)::Net", for messages about its code.
std::string cpp_type_name(const Module& m) {
  const char* mangled = typeid(m).name();
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), std::free);
  return status == 0 && demangled ? demangled.get() : mangled;
}

}  // namespace

// Note [forward not overridden]
// Reaching the base's one-input forward means the module's class does not override it. A
// loss (two inputs) called with one input is one way; the common mistake is a user's
// `Tensor forward(Tensor x)` (by value, no `override`): it compiles, but it declares a new
// function that hides Module::forward(const Tensor&) instead of overriding it, so
// operator() lands here. C++20 cannot reject that at compile time without the base knowing
// the derived type (CRTP, or C++23's deducing this), so the message names both causes.
Tensor Module::forward(const Tensor&) {
  const std::string type = cpp_type_name(*this);
  throw GraphError(type_name_ + ": " + type +
                   " does not override Module::forward(const Tensor&), so it cannot be called "
                   "with one input. If " +
                   type +
                   " declares a forward with another signature (for example "
                   "`Tensor forward(Tensor x)`, taking the tensor by value), that forward "
                   "hides Module::forward(const Tensor&) instead of overriding it: declare it as "
                   "`Tensor forward(const Tensor& x) override`. If the module takes two inputs "
                   "(input, target), as a loss does, call it with both");
}

Tensor Module::forward(const Tensor&, const Tensor&) {
  throw GraphError(type_name_ + ": this module takes one input");
}

// ---- error paths -------------------------------------------------------------------------
// Note [module paths in errors]
// A layer only knows its own shapes, not where it sits in the model. When a ShapeError
// leaves a module's operator(), the module records itself as the origin (if no inner module
// did) and every enclosing operator() rewrites the message with the origin's path relative
// to itself, so the outermost call produces the full dotted path.

namespace {
thread_local const Module* error_origin = nullptr;
thread_local std::string error_base;
thread_local int call_depth = 0;

struct DepthGuard {
  DepthGuard() { ++call_depth; }
  ~DepthGuard() {
    if (--call_depth == 0) error_origin = nullptr;
  }
};
}  // namespace

Tensor Module::run_with_hooks(const std::function<Tensor()>& forward, const Tensor& input) {
  DepthGuard depth;
  Tensor out;
  try {
    out = forward();
  } catch (const ShapeError& e) {
    if (error_origin == nullptr) {
      error_origin = this;
      error_base = e.what();
    }
    std::string path;
    for (const auto& [name, m] : named_modules()) {
      if (m == error_origin) {
        path = name;
        break;
      }
    }
    const Module* origin = error_origin;
    // The layer's own message usually starts with its type ("Linear: ..."); say it once.
    std::string base = error_base;
    const std::string own_prefix = origin->type_name() + ": ";
    if (base.rfind(own_prefix, 0) == 0) base = base.substr(own_prefix.size());
    std::string where =
        path.empty() ? origin->type_name() : path + " (" + origin->type_name() + ")";
    throw ShapeError(where + ": " + base);
  }
  // Copy the hook lists: a hook may remove itself while running.
  const auto forward_hooks = *forward_hooks_;
  for (const auto& [id, hook] : forward_hooks) {
    Tensor replaced = hook(*this, input, out);
    if (replaced.defined()) out = replaced;
  }
  if (!backward_hooks_->empty() && out.requires_grad()) {
    // An identity op whose backward passes the output gradient through the hooks.
    Tensor through = out.detach();
    auto hooks = backward_hooks_;
    Module* self = this;
    autograd::record("module_backward_hook", through, {out}, {},
                     [hooks, self](const autograd::BackwardCtx& ctx) {
                       Tensor g = ctx.grad;
                       for (const auto& [id, hook] : *hooks) {
                         Tensor replaced = hook(*self, g);
                         if (replaced.defined()) g = replaced;
                       }
                       return tensor_list{g};
                     });
    out = through;
  }
  return out;
}

Tensor Module::operator()(const Tensor& input) {
  return run_with_hooks([&] { return forward(input); }, input);
}

Tensor Module::operator()(const Tensor& input, const Tensor& target) {
  return run_with_hooks([&] { return forward(input, target); }, input);
}

// ---- registration --------------------------------------------------------------------

namespace {
void check_name(const std::string& owner, const std::string& name) {
  if (name.empty() || name.find('.') != std::string::npos) {
    throw ValueError(owner +
                     ": a parameter or module name must be non-empty and contain no "
                     "'.', got \"" +
                     name + "\"");
  }
}
}  // namespace

Tensor Module::register_parameter(const std::string& name, Tensor t, bool requires_grad) {
  check_name(type_name_, name);
  autograd::check_defined("register_parameter", t);
  if (!param_index_.emplace(name, params_.size()).second) {
    throw ValueError(type_name_ + ": parameter \"" + name + "\" already registered");
  }
  if (!t.is_leaf()) t = t.detach();
  t.requires_grad_(requires_grad);
  params_.emplace_back(name, t);
  return t;
}

void Module::replace_parameter(const std::string& name, Tensor t) {
  const auto it = param_index_.find(name);
  if (it == param_index_.end()) {
    throw ValueError(type_name_ + ": no parameter named \"" + name + "\"");
  }
  Tensor& p = params_[it->second].second;
  if (!t.is_leaf()) t = t.detach();
  t.requires_grad_(p.requires_grad());
  p = t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t) {
  check_name(type_name_, name);
  autograd::check_defined("register_buffer", t);
  if (!buffer_index_.emplace(name, buffers_.size()).second) {
    throw ValueError(type_name_ + ": buffer \"" + name + "\" already registered");
  }
  buffers_.emplace_back(name, t.detach());
  return buffers_.back().second;
}

void Module::add_child(const std::string& name, ModulePtr m) {
  check_name(type_name_, name);
  if (!m) throw ValueError(type_name_ + ": module \"" + name + "\" is null");
  if (!child_index_.emplace(name, children_.size()).second) {
    throw ValueError(type_name_ + ": module \"" + name + "\" already registered");
  }
  children_.emplace_back(name, std::move(m));
}

// ---- traversal -------------------------------------------------------------------------

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  // Iterative depth-first walk in registration order.
  std::vector<std::pair<std::string, Module*>> stack{{"", this}};
  while (!stack.empty()) {
    auto [prefix, m] = stack.back();
    stack.pop_back();
    out.emplace_back(prefix, m);
    for (auto it = m->children_.rbegin(); it != m->children_.rend(); ++it) {
      stack.emplace_back(prefix.empty() ? it->first : prefix + "." + it->first, it->second.get());
    }
  }
  return out;
}

namespace {
// Walks the tree without needing a non-const this.
template <class F> void walk(const Module& root, const std::string& prefix, bool recurse, F f) {
  f(prefix, root);
  if (!recurse) return;
  for (const auto& [name, child] : root.named_children()) {
    walk(*child, prefix.empty() ? name : prefix + "." + name, true, f);
  }
}
std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}
}  // namespace

NamedTensors Module::named_parameters(bool recurse) const {
  NamedTensors out;
  walk(*this, "", recurse, [&](const std::string& prefix, const Module& m) {
    for (const auto& [n, p] : m.params_) out.emplace_back(join(prefix, n), p);
  });
  return out;
}

NamedTensors Module::named_buffers(bool recurse) const {
  NamedTensors out;
  walk(*this, "", recurse, [&](const std::string& prefix, const Module& m) {
    for (const auto& [n, b] : m.buffers_) out.emplace_back(join(prefix, n), b);
  });
  return out;
}

std::vector<Tensor> Module::parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [n, p] : named_parameters(recurse)) out.push_back(p);
  return out;
}

std::vector<ModulePtr> Module::children() const {
  std::vector<ModulePtr> out;
  for (const auto& [n, c] : children_) out.push_back(c);
  return out;
}

std::int64_t Module::num_parameters(bool trainable_only) const {
  std::int64_t n = 0;
  for (const auto& p : parameters()) {
    if (!trainable_only || p.requires_grad()) n += p.numel();
  }
  return n;
}

void Module::train(bool on) {
  // A walk that allocates nothing (named_modules() builds a list): nn/summary.cpp restores
  // the modes from a destructor, which may run while a std::bad_alloc unwinds.
  training_ = on;
  for (auto& [name, child] : children_) child->Module::train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (auto& p : parameters()) p.zero_grad(set_to_none);
}

void Module::to(Dtype dtype) {
  if (!is_floating(dtype)) {
    throw DtypeError(type_name_ + ".to: modules hold float parameters; cannot convert to i64");
  }
  NoGradGuard ng;
  for (auto& [n, p] : named_parameters()) {
    if (p.dtype() != dtype) p.set_data(p.to(dtype).detach());
  }
  for (auto& [n, b] : named_buffers()) {
    if (b.dtype() != dtype && is_floating(b.dtype())) b.set_data(b.to(dtype));
  }
}

StateDict Module::state_dict() const {
  StateDict out;
  for (auto& [n, p] : named_parameters()) out[n] = p.detach();
  for (auto& [n, b] : named_buffers()) out[n] = b.detach();
  return out;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  NamedTensors targets = named_parameters();
  for (auto& nb : named_buffers()) targets.push_back(nb);
  // Check everything first, then copy: a failed load changes nothing.
  std::vector<std::pair<Tensor, Tensor>> copies;
  for (auto& [name, dst] : targets) {
    auto it = state.find(name);
    if (it == state.end()) {
      if (strict) {
        throw ValueError("load_state_dict: missing key \"" + name + "\" (expected shape " +
                         shape_str(dst.shape()) + ")");
      }
      continue;
    }
    const Tensor& src = it->second;
    autograd::check_defined("load_state_dict", src);
    if (src.shape() != dst.shape()) {
      throw ShapeError("load_state_dict: shape mismatch for \"" + name + "\": the model has " +
                       shape_str(dst.shape()) + ", the state has " + shape_str(src.shape()));
    }
    if (is_floating(src.dtype()) != is_floating(dst.dtype())) {
      throw DtypeError("load_state_dict: dtype mismatch for \"" + name + "\": the model has " +
                       std::string(dtype_name(dst.dtype())) + ", the state has " +
                       std::string(dtype_name(src.dtype())));
    }
    copies.emplace_back(dst, src);
  }
  if (strict) {
    std::unordered_set<std::string_view> known;
    for (const auto& t : targets) known.insert(t.first);
    for (const auto& [key, value] : state) {
      if (known.count(key) == 0) {
        throw ValueError("load_state_dict: unexpected key \"" + key + "\" (shape " +
                         shape_str(value.shape()) + ") not in the model");
      }
    }
  }
  NoGradGuard ng;
  for (auto& [dst, src] : copies) {
    dst.copy_(src.to(dst.dtype()));
  }
}

// ---- hooks -------------------------------------------------------------------------------

HookHandle Module::register_forward_hook(ForwardHook hook) {
  const int id = next_hook_id_++;
  forward_hooks_->emplace_back(id, std::move(hook));
  std::weak_ptr<std::vector<std::pair<int, ForwardHook>>> list = forward_hooks_;
  return HookHandle([list, id] {
    if (auto l = list.lock()) std::erase_if(*l, [id](const auto& h) { return h.first == id; });
  });
}

HookHandle Module::register_backward_hook(BackwardHook hook) {
  const int id = next_hook_id_++;
  backward_hooks_->emplace_back(id, std::move(hook));
  std::weak_ptr<std::vector<std::pair<int, BackwardHook>>> list = backward_hooks_;
  return HookHandle([list, id] {
    if (auto l = list.lock()) std::erase_if(*l, [id](const auto& h) { return h.first == id; });
  });
}

// ---- printing ----------------------------------------------------------------------------

std::string Module::repr() const {
  // PyTorch's nn.Module.__repr__: a one-line extra_repr stays inside the parentheses when
  // there are no children; otherwise every line goes on its own, indented by two spaces.
  std::vector<std::string> lines;
  const std::string extra = extra_repr();
  if (!extra.empty()) {
    std::istringstream is(extra);
    for (std::string line; std::getline(is, line);) lines.push_back(line);
  }
  const std::size_t extra_lines = lines.size();
  for (const auto& [name, child] : children_) {
    std::string indented;
    for (char c : child->repr()) {
      indented += c;
      if (c == '\n') indented += "  ";
    }
    lines.push_back("(" + name + "): " + indented);
  }
  std::string out = type_name_ + "(";
  if (extra_lines == 1 && children_.empty()) {
    out += lines[0];
  } else if (!lines.empty()) {
    for (const auto& line : lines) out += "\n  " + line;
    out += "\n";
  }
  return out + ")";
}

std::ostream& operator<<(std::ostream& os, const Module& m) { return os << m.repr(); }

}  // namespace xg::nn
