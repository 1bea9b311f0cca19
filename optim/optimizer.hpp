// Optimizer: the base of every optimizer (SGD, Adam, AdamW, RMSprop, Adagrad). It holds
// the parameters in groups, each group with its own options, and per-parameter state
// (momentum buffers, moment estimates, step counts). Training is
//
//   xg::optim::SGD opt(model.parameters(), {.lr = 0.1, .momentum = 0.9});
//   for (...) { opt.zero_grad(); loss(model).backward(); opt.step(); }
//
// Parameter groups give parts of a model their own options; every group lists all its
// options (the options struct's defaults fill in the rest):
//
//   xg::optim::SGD opt({{.params = weights, .options = {.lr = 0.1, .weight_decay = 1e-4}},
//                       {.params = biases, .options = {.lr = 0.1}}});
//   opt.add_param_group({.params = head, .options = {.lr = 0.01}});
//
// Contract shared by every optimizer, as in torch.optim (PyTorch 1.13):
// - step() updates each parameter in place from its grad(), in the parameter's dtype (f32
//   or f64), without recording a graph. A parameter whose grad() is undefined is skipped
//   (its state does not advance). State buffers are allocated at a parameter's first
//   update; later steps allocate nothing.
// - Parameters that do not require grad (a frozen part of the model) are accepted and
//   skipped while they have no gradient; after requires_grad_(true) and a backward they
//   are updated like the others. (zero_grad() with set_to_none, the default, forgets a
//   gradient left from before the freeze.)
// - The optimizer holds handles to the parameters (see Tensor: they alias the model's).
// - Errors (all xg::ValueError unless said otherwise, messages start with the optimizer's
//   name): an empty parameter list ("SGD: got an empty parameter list"), an option out of
//   range ("Adam: invalid betas[1] = 1: must be in [0, 1)"), a parameter that is
//   undefined or not a leaf (naming its index and shape), the same parameter twice (in
//   one group or across groups), a group index out of range.
//
// Learning-rate schedulers use lr(group) / set_lr(lr, group), which read and write the
// `lr` field of the group's options directly; every numeric option (lr included) is also
// reachable by name through option()/set_option() ("momentum", "beta1", ...), the names
// used in state_dict().
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "xgrad/autograd/tensor.hpp"

namespace xg::optim {

// Tensors by name; the same type as nn::StateDict and nn::TensorMap, so an optimizer's
// state saves with nn::save_tensors / loads with nn::load_tensors.
using StateDict = std::map<std::string, Tensor>;

// A group of parameters that share one set of options.
template <class Options> struct ParamGroup {
  std::vector<Tensor> params;
  Options options;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  // Copying would share the state buffers between two optimizers: not allowed.
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;
  Optimizer(Optimizer&&) = default;
  Optimizer& operator=(Optimizer&&) = default;

  // One update of every parameter that has a gradient.
  virtual void step() = 0;
  // Forgets (set_to_none, PyTorch's default) or zeroes the gradient of every parameter.
  void zero_grad(bool set_to_none = true);

  // "SGD", "Adam", ...
  const std::string& name() const { return name_; }

  // ---- parameter groups ------------------------------------------------------------
  std::size_t num_param_groups() const { return params_.size(); }
  // The parameters of one group (ValueError if group is out of range).
  const std::vector<Tensor>& params(std::size_t group = 0) const;
  // Every parameter, group after group: the order of the indices in state_dict().
  std::vector<Tensor> all_params() const;

  // ---- the learning rate (typed: read and set every step by schedulers) ------------
  // The learning rate of one group: the `lr` field of its options, read directly (no
  // lookup by name, no allocation).
  double lr(std::size_t group = 0) const {
    check_group(group);
    return lr_ref(group);
  }
  // Sets the learning rate of one group, or of every group, after checking the group's
  // options stay valid (lr >= 0; a bad value changes nothing).
  void set_lr(double lr, std::size_t group);
  void set_lr(double lr);

  // ---- options by name (for schedulers, logging and state_dict) --------------------
  // The names of this optimizer's options, e.g. {"lr", "momentum", "dampening",
  // "weight_decay", "nesterov"} for SGD; Adam's betas are "beta1" and "beta2". Boolean
  // options read as 0 or 1.
  virtual std::vector<std::string> option_names() const = 0;
  bool has_option(const std::string& name) const;
  // The value of a named option of a group (ValueError for an unknown name).
  virtual double option(const std::string& name, std::size_t group = 0) const = 0;
  // Sets a named option of a group after checking the group's options stay valid
  // (a boolean option takes 0 or 1).
  virtual void set_option(const std::string& name, double value, std::size_t group) = 0;

  // ---- state ---------------------------------------------------------------------
  // Everything needed to resume training bit-identically, as named tensors (copies, not
  // aliases of the optimizer's buffers):
  //   "param_groups.<g>.<option>"  0-D f64 for every option of every group
  //   "param_groups.<g>.params"    1-D i64: the global indices of the group's parameters
  //   "state.<i>.step"             0-D f64: updates of parameter i so far (Adam, AdamW,
  //                                RMSprop, Adagrad)
  //   "state.<i>.<buffer>"         the parameter's shape and dtype: "momentum_buffer"
  //                                (SGD, RMSprop), "exp_avg", "exp_avg_sq",
  //                                "max_exp_avg_sq" (Adam, AdamW), "square_avg",
  //                                "grad_avg" (RMSprop), "sum" (Adagrad)
  // where <i> counts parameters across groups in order (see all_params()). A parameter
  // that has not been updated yet has no "state.<i>" entries.
  StateDict state_dict() const;
  // Restores options and state saved by state_dict() of an optimizer of the same kind over
  // parameters of the same shapes, grouped the same way. Throws, naming the key, before
  // changing anything: ValueError for a missing or unexpected key, a group of another
  // size, a step that is not a non-negative integer or an invalid option value;
  // ShapeError for a buffer whose shape is not its parameter's; DtypeError for a buffer
  // that is not f32/f64. Buffers are copied (and converted to the parameter's dtype).
  void load_state_dict(const StateDict& state);

 protected:
  // What an optimizer keeps for one parameter. `buffers` follows buffer_names(); a buffer
  // the options do not need stays undefined.
  struct ParamState {
    std::int64_t step = 0;
    bool initialized = false;  // true after the first update (or a load with state)
    std::vector<Tensor> buffers;
  };

  // buffer_names: the per-parameter state tensors, in ParamState::buffers order.
  // uses_step: whether the state holds a step count ("state.<i>.step").
  Optimizer(std::string name, std::vector<std::string> buffer_names, bool uses_step);

  // Validates `params` (non-empty, defined leaves, none already in the optimizer) and
  // appends them as a new group with fresh state.
  void add_params(std::vector<Tensor> params);
  // The gradient of parameter i of a group, or an undefined tensor when it has none.
  // Throws ShapeError/DtypeError when the gradient does not match the parameter.
  Tensor grad_of(std::size_t group, std::size_t i) const;
  // Buffer k of a state, made to hold p's dtype and shape: allocated (zero-filled) when
  // undefined, converted when the parameter's dtype changed (model.to(f64)).
  Tensor& buffer(ParamState& state, std::size_t k, const Tensor& p);
  // Throws ValueError "<name>: invalid <option> = <value>: <rule>" unless ok.
  void require(bool ok, const std::string& option, double value, const char* rule) const;
  // Throws ValueError unless group < num_param_groups().
  void check_group(std::size_t group) const;
  // The shortest decimal form of v that reads back exactly ("0.1", "0.0001", "1e-08").
  static std::string number(double v);

  // ---- type-erased access to the options, implemented by TypedOptimizer -------------
  // The `lr` field of a group's options (group already checked).
  virtual double& lr_ref(std::size_t group) = 0;
  virtual double lr_ref(std::size_t group) const = 0;
  // Throws ValueError (as validate would) unless the group's options with this lr are valid.
  virtual void check_lr(std::size_t group, double lr) const = 0;
  // The options of a group, in option_names() order.
  virtual std::vector<double> option_values(std::size_t group) const = 0;
  // Throws ValueError (naming `where` and the option) unless the values are valid options.
  virtual void check_option_values(const std::vector<double>& values) const = 0;
  virtual void set_option_values(std::size_t group, const std::vector<double>& values) = 0;
  // Whether a parameter updated with these options keeps buffer k.
  virtual bool uses_buffer_values(const std::vector<double>& values, std::size_t k) const = 0;

  std::string name_;
  std::vector<std::string> buffer_names_;
  bool uses_step_;
  std::vector<std::vector<Tensor>> params_;     // [group][i]
  std::vector<std::vector<ParamState>> state_;  // [group][i], parallel to params_
};

// What TypedOptimizer needs of an options struct: a `double lr` field (every optimizer has
// a learning rate; it is a field of each struct rather than of a shared base so that the
// structs stay aggregates that take designated initializers, {.lr = 0.1, .momentum = 0.9}).
template <class Options>
concept OptimizerOptions = std::is_same_v<decltype(Options::lr), double>;

// The typed layer: groups whose options are an `Options` struct. Options lists its fields
// by name with a static `visit(options, f)` calling f(name, field) for each (double or
// bool fields).
template <OptimizerOptions Options> class TypedOptimizer : public Optimizer {
 public:
  using Group = ParamGroup<Options>;

  // The options of a group (ValueError if out of range).
  const Options& options(std::size_t group = 0) const {
    check_group(group);
    return options_[group];
  }
  // Replaces the options of a group after validating them.
  void set_options(const Options& options, std::size_t group) {
    check_group(group);
    validate(options);
    options_[group] = options;
  }
  // Appends a group (validated like the constructor's groups).
  void add_param_group(Group group) {
    validate(group.options);
    add_params(std::move(group.params));
    options_.push_back(group.options);
  }

  std::vector<std::string> option_names() const override {
    std::vector<std::string> names;
    Options o{};
    Options::visit(o, [&](const char* n, auto&) { names.emplace_back(n); });
    return names;
  }
  double option(const std::string& name, std::size_t group = 0) const override {
    check_group(group);
    const auto names = option_names();
    const auto values = option_values(group);
    for (std::size_t k = 0; k < names.size(); ++k) {
      if (names[k] == name) return values[k];
    }
    throw_unknown_option(name);
  }
  void set_option(const std::string& name, double value, std::size_t group) override {
    check_group(group);
    auto values = option_values(group);
    const auto names = option_names();
    std::size_t k = 0;
    while (k < names.size() && names[k] != name) ++k;
    if (k == names.size()) throw_unknown_option(name);
    values[k] = value;
    set_option_values(group, values);
  }

 protected:
  TypedOptimizer(std::string name, std::vector<std::string> buffer_names, bool uses_step)
      : Optimizer(std::move(name), std::move(buffer_names), uses_step) {}

  // Adds the constructor's groups (call from the concrete optimizer's constructor body,
  // where validate() already dispatches to it).
  void init(std::vector<Group> groups) {
    if (groups.empty()) add_params({});  // throws "<name>: got an empty parameter list"
    for (auto& g : groups) add_param_group(std::move(g));
  }

  // Throws ValueError naming the option and its value unless the options are valid.
  virtual void validate(const Options& options) const = 0;
  // Whether a parameter updated with these options keeps buffer k.
  virtual bool uses_buffer(const Options& options, std::size_t k) const = 0;

  double& lr_ref(std::size_t group) override { return options_[group].lr; }
  double lr_ref(std::size_t group) const override { return options_[group].lr; }
  void check_lr(std::size_t group, double lr) const override {
    Options o = options_[group];
    o.lr = lr;
    validate(o);
  }

  std::vector<double> option_values(std::size_t group) const override {
    std::vector<double> values;
    Options o = options_[group];
    Options::visit(o, [&](const char*, auto& v) { values.push_back(static_cast<double>(v)); });
    return values;
  }
  void check_option_values(const std::vector<double>& values) const override {
    validate(from_values(values));
  }
  void set_option_values(std::size_t group, const std::vector<double>& values) override {
    Options o = from_values(values);
    validate(o);
    options_[group] = o;
  }
  bool uses_buffer_values(const std::vector<double>& values, std::size_t k) const override {
    return uses_buffer(from_values(values), k);
  }

  std::vector<Options> options_;  // parallel to params_

 private:
  Options from_values(const std::vector<double>& values) const {
    Options o{};
    std::size_t k = 0;
    Options::visit(o, [&](const char* n, auto& field) {
      const double v = values.at(k++);
      if constexpr (std::is_same_v<std::decay_t<decltype(field)>, bool>) {
        require(v == 0.0 || v == 1.0, n, v, "a boolean option takes 0 or 1");
        field = v != 0.0;
      } else {
        field = v;
      }
    });
    return o;
  }
  [[noreturn]] void throw_unknown_option(const std::string& name) const {
    std::string list;
    for (const auto& n : option_names()) list += (list.empty() ? "" : ", ") + n;
    throw ValueError(name_ + ": no option named '" + name + "' (options: " + list + ")");
  }
};

}  // namespace xg::optim
