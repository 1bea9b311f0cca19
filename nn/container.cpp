// Sequential and ModuleList.
#include "nn/container.hpp"

namespace xg::nn {

void ModuleContainer::push_back(AnyModule module) {
  push_back(std::to_string(modules_.size()), std::move(module));
}

void ModuleContainer::push_back(const std::string& name, AnyModule module) {
  add_child(name, module.ptr());  // checks the name and rejects a null module
  modules_.push_back(module.ptr());
}

ModuleContainer& ModuleContainer::append(AnyModule module) {
  push_back(std::move(module));
  return *this;
}

ModulePtr ModuleContainer::operator[](std::int64_t index) const {
  const std::int64_t n = size();
  const std::int64_t i = index < 0 ? index + n : index;
  if (i < 0 || i >= n) {
    throw ValueError(type_name() + ": index " + std::to_string(index) +
                     " is out of range for a container of " + std::to_string(n) + " modules");
  }
  return modules_[static_cast<std::size_t>(i)];
}

void ModuleContainer::throw_wrong_type(std::int64_t index, const Module& m) const {
  throw ValueError(type_name() + ".at: module " + std::to_string(index) + " is a " + m.type_name() +
                   ", not the requested type");
}

Sequential::Sequential(std::initializer_list<AnyModule> modules) : Sequential() {
  for (const auto& m : modules) push_back(m);
}

Sequential::Sequential(const std::vector<AnyModule>& modules) : Sequential() {
  for (const auto& m : modules) push_back(m);
}

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& m : *this) x = (*m)(x);
  return x;
}

ModuleList::ModuleList(std::initializer_list<AnyModule> modules) : ModuleList() {
  for (const auto& m : modules) push_back(m);
}

ModuleList::ModuleList(const std::vector<AnyModule>& modules) : ModuleList() {
  for (const auto& m : modules) push_back(m);
}

Tensor ModuleList::forward(const Tensor&) {
  throw GraphError(
      "ModuleList: has no forward(); call its modules from your own module's "
      "forward (for (auto& m : list) x = (*m)(x);)");
}

}  // namespace xg::nn
