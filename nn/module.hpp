// Module: the base of every layer and model. A module owns parameters (tensors that
// require grad) and sub-modules, each registered under a name, so that a whole model can
// be walked, saved, loaded and moved between dtypes by those names ("layers.0.weight").
//
// Writing your own module:
//
//   struct Net : xg::nn::Module {
//     std::shared_ptr<xg::nn::Linear> fc1, fc2;
//     Net() : Module("Net") {
//       fc1 = register_module("fc1", xg::nn::Linear(4, 8));
//       fc2 = register_module("fc2", xg::nn::Linear(8, 4));
//     }
//     xg::Tensor forward(const xg::Tensor& x) override {
//       return (*fc2)(xg::relu((*fc1)(x))) + x;  // a skip connection
//     }
//   };
//
// Modules are used through shared_ptr once registered; a module value passed to
// register_module or to Sequential is moved into a new shared_ptr. Copying a module copies
// its parameter HANDLES: the copy shares the parameters (see Tensor).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xg::nn {

class Module;

// Parameters and buffers by dotted name, e.g. {"0.weight", tensor}.
using StateDict = std::map<std::string, Tensor>;
using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
using ModulePtr = std::shared_ptr<Module>;

// Called after a module's forward with (module, input, output); may return a defined
// tensor to replace the output.
using ForwardHook = std::function<Tensor(Module&, const Tensor&, const Tensor&)>;
// Called during backward with (module, gradient of the output); may return a defined
// tensor to replace that gradient.
using BackwardHook = std::function<Tensor(Module&, const Tensor&)>;

// Removes a hook when remove() is called (not when destroyed).
class HookHandle {
 public:
  HookHandle() = default;
  explicit HookHandle(std::function<void()> remover) : remover_(std::move(remover)) {}
  void remove() {
    if (remover_) remover_();
    remover_ = nullptr;
  }

 private:
  std::function<void()> remover_;
};

class Module : public std::enable_shared_from_this<Module> {
 public:
  explicit Module(std::string type_name = "Module");
  virtual ~Module() = default;
  // A copy shares the parameter handles but gets its own copies of the hook lists.
  Module(const Module& other);
  Module& operator=(const Module& other);
  Module(Module&&) = default;
  Module& operator=(Module&&) = default;

  // The computation. Modules with two inputs (losses) override forward(input, target).
  // Override with exactly this signature, `Tensor forward(const Tensor& x) override`: a
  // forward taking the tensor by value hides this one instead of overriding it, and
  // calling the module then throws GraphError naming its type and this mistake.
  virtual Tensor forward(const Tensor& input);
  virtual Tensor forward(const Tensor& input, const Tensor& target);

  // Runs forward with hooks, and names this module's path in the model in a ShapeError
  // raised inside it: "layers.1 (Linear): expected 4 input features, got (2, 5)".
  Tensor operator()(const Tensor& input);
  Tensor operator()(const Tensor& input, const Tensor& target);

  // ---- walking the model ---------------------------------------------------------
  std::vector<Tensor> parameters(bool recurse = true) const;
  NamedTensors named_parameters(bool recurse = true) const;
  NamedTensors named_buffers(bool recurse = true) const;
  std::vector<ModulePtr> children() const;
  const std::vector<std::pair<std::string, ModulePtr>>& named_children() const { return children_; }
  // This module ("" ) and every descendant, by dotted path, depth first.
  std::vector<std::pair<std::string, Module*>> named_modules();
  std::int64_t num_parameters(bool trainable_only = false) const;

  // ---- modes and state -----------------------------------------------------------
  virtual void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  // Forgets (set_to_none) or zeroes every parameter's gradient.
  void zero_grad(bool set_to_none = true);
  // Converts every parameter and buffer in place (handles held elsewhere see it).
  void to(Dtype dtype);

  StateDict state_dict() const;
  // Copies values into the existing parameters and buffers. strict: a missing key, an
  // unexpected key or a shape mismatch throws (naming the key and both shapes). All
  // checks happen before any value changes, so a failed load leaves the model as it was.
  void load_state_dict(const StateDict& state, bool strict = true);

  // ---- hooks ---------------------------------------------------------------------
  HookHandle register_forward_hook(ForwardHook hook);
  HookHandle register_backward_hook(BackwardHook hook);

  // ---- printing ------------------------------------------------------------------
  const std::string& type_name() const { return type_name_; }
  // "in_features=4, out_features=8, bias=true": shown inside the parentheses.
  virtual std::string extra_repr() const { return ""; }
  // PyTorch-style nested description.
  std::string repr() const;

 protected:
  // Registers t (made a leaf that requires grad) as a parameter; returns the handle.
  Tensor register_parameter(const std::string& name, Tensor t, bool requires_grad = true);
  // Registers a tensor saved with the model but not trained (running statistics). A name
  // registered twice throws ValueError, for parameters and buffers alike.
  Tensor register_buffer(const std::string& name, Tensor t);
  // Registers a child module; a module value is moved into a new shared_ptr.
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    add_child(name, m);
    return m;
  }
  template <class M>
  requires std::is_base_of_v<Module, std::decay_t<M>> &&(!std::is_lvalue_reference_v<M>)
      std::shared_ptr<std::decay_t<M>> register_module(const std::string& name, M&& m) {
    return register_module(name, std::make_shared<std::decay_t<M>>(std::move(m)));
  }
  // Replaces the tensor registered under name (for reset-style re-initialisation).
  void replace_parameter(const std::string& name, Tensor t);

  void add_child(const std::string& name, ModulePtr m);

 private:
  Tensor run_with_hooks(const std::function<Tensor()>& forward, const Tensor& input);

  std::string type_name_;
  bool training_ = true;
  NamedTensors params_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, ModulePtr>> children_;
  // Name -> position in params_ / buffers_ / children_: duplicate checks and lookups take
  // constant time, so a Sequential of 100,000 layers builds in linear time.
  std::unordered_map<std::string, std::size_t> param_index_, buffer_index_, child_index_;
  std::shared_ptr<std::vector<std::pair<int, ForwardHook>>> forward_hooks_;
  std::shared_ptr<std::vector<std::pair<int, BackwardHook>>> backward_hooks_;
  int next_hook_id_ = 0;
};

std::ostream& operator<<(std::ostream& os, const Module& m);

}  // namespace xg::nn
