// Containers of modules: Sequential (runs its modules in order) and ModuleList (holds
// modules for a user's forward to call), as PyTorch's nn.Sequential and nn.ModuleList.
//
//   xg::nn::Sequential model{xg::nn::Linear(784, 256), xg::nn::ReLU(),
//                            xg::nn::Linear(256, 10)};
//   model.push_back(xg::nn::LogSoftmax(1));
//   xg::nn::ModulePtr first = model[0];                       // a shared_ptr<Module>
//   std::shared_ptr<xg::nn::Linear> fc = model.at<xg::nn::Linear>(0);
//
// Modules are named "0", "1", ... in order (so parameters are "0.weight", "2.bias"), or
// by the name given to push_back(name, module). A module passed by value is moved into a
// new shared_ptr; pass a shared_ptr to share one module between containers.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "xgrad/nn/module.hpp"

namespace xg::nn {

// A Module of any type, held by shared_ptr: built implicitly from a module rvalue (moved
// into a new shared_ptr) or from a shared_ptr to a module (shared). Lets containers take a
// brace list of different module types.
class AnyModule {
 public:
  // clang-format off
  template <class M>
    requires std::is_base_of_v<Module, std::decay_t<M>> && (!std::is_lvalue_reference_v<M>)
  AnyModule(M&& module)  // NOLINT(google-explicit-constructor): implicit by design
      : ptr_(std::make_shared<std::decay_t<M>>(std::move(module))) {}

  template <class M>
    requires std::is_base_of_v<Module, M>
  AnyModule(std::shared_ptr<M> module)  // NOLINT(google-explicit-constructor)
      : ptr_(std::move(module)) {}

  // A named module (an lvalue) is refused with a readable message: copying it would give
  // a second module silently sharing the first one's parameters.
  template <class M>
    requires std::is_base_of_v<Module, std::remove_cvref_t<M>> && std::is_lvalue_reference_v<M>
  AnyModule(M&& module) {  // NOLINT(google-explicit-constructor)
    static_assert(!std::is_lvalue_reference_v<M>,
                  "xg::nn containers take a module by value (a temporary or std::move(module)) "
                  "or a std::shared_ptr to it, not a named module");
    (void)module;
  }
  // clang-format on

  const ModulePtr& ptr() const { return ptr_; }

 private:
  ModulePtr ptr_;
};

// The indexing and appending shared by Sequential and ModuleList. Indices may be negative
// (counting from the end, as in Python); an index out of range is a ValueError naming it
// and the size.
class ModuleContainer : public Module {
 public:
  // Appends under the next index as name ("0", "1", ...), or under the given name.
  void push_back(AnyModule module);
  void push_back(const std::string& name, AnyModule module);
  // push_back that returns *this, for chaining.
  ModuleContainer& append(AnyModule module);

  std::int64_t size() const { return static_cast<std::int64_t>(modules_.size()); }
  bool empty() const { return modules_.empty(); }

  ModulePtr operator[](std::int64_t index) const;
  // The module at index as an M; ValueError naming the module's type if it is not an M.
  template <class M> std::shared_ptr<M> at(std::int64_t index) const {
    ModulePtr m = (*this)[index];
    auto typed = std::dynamic_pointer_cast<M>(m);
    if (!typed) throw_wrong_type(index, *m);
    return typed;
  }

  std::vector<ModulePtr>::const_iterator begin() const { return modules_.begin(); }
  std::vector<ModulePtr>::const_iterator end() const { return modules_.end(); }

 protected:
  explicit ModuleContainer(std::string type_name) : Module(std::move(type_name)) {}
  [[noreturn]] void throw_wrong_type(std::int64_t index, const Module& m) const;

 private:
  std::vector<ModulePtr> modules_;
};

// Runs its modules in order, each through operator() (so hooks run and errors name the
// module's path); an empty Sequential returns its input.
class Sequential : public ModuleContainer {
 public:
  Sequential() : ModuleContainer("Sequential") {}
  Sequential(std::initializer_list<AnyModule> modules);
  explicit Sequential(const std::vector<AnyModule>& modules);

  Sequential& append(AnyModule module) {
    push_back(std::move(module));
    return *this;
  }

  using Module::forward;
  Tensor forward(const Tensor& input) override;
};

// Holds modules so that their parameters are registered; it has no forward of its own
// (calling it is a GraphError): a user's module iterates over it.
class ModuleList : public ModuleContainer {
 public:
  ModuleList() : ModuleContainer("ModuleList") {}
  ModuleList(std::initializer_list<AnyModule> modules);
  explicit ModuleList(const std::vector<AnyModule>& modules);

  ModuleList& append(AnyModule module) {
    push_back(std::move(module));
    return *this;
  }

  using Module::forward;
  Tensor forward(const Tensor& input) override;
};

}  // namespace xg::nn
