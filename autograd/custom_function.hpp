// User-defined differentiable functions: the equivalent of torch::autograd::Function.
//
//   struct Log1pExp : xg::autograd::Function<Log1pExp> {
//     static xg::Tensor forward(xg::autograd::AutogradContext* ctx, const xg::Tensor& x) {
//       ctx->save_for_backward({x});
//       return xg::maximum(x, xg::zeros_like(x)) + xg::log(1.0 + xg::exp(-xg::abs(x)));
//     }
//     static xg::tensor_list backward(xg::autograd::AutogradContext* ctx,
//                                     const xg::tensor_list& grad_outputs) {
//       const xg::Tensor x = ctx->get_saved_variables()[0];
//       return {grad_outputs[0] * xg::sigmoid(x)};
//     }
//   };
//   xg::Tensor y = Log1pExp::apply(x);
//
// forward(ctx, args...) runs without recording a graph (inside a NoGradGuard) and returns
// a Tensor or a tensor_list. Its arguments may be tensors or any other values; backward
// returns one gradient per argument of forward, in order: an undefined Tensor for an
// argument that is not a tensor or needs no gradient (ctx->needs_input_grad(i)). The result
// works with backward(), xg::grad, tensor hooks, anomaly mode and gradcheck; with
// create_graph when backward is written with xgrad ops (it is then itself recorded).
//
// Saved tensors are version-checked as every op's (autograd/function.hpp): an input or
// output saved with save_for_backward and modified in place before backward makes
// get_saved_variables() throw GraphError. Unlike PyTorch there is no mark_dirty: a forward
// must not modify its inputs in place.
//
// With several outputs, every output that is not marked non-differentiable must have the
// same float dtype; an output that receives no gradient gets zeros in grad_outputs (as
// PyTorch with materialize_grads). Saving an output of a multi-output function saves its
// values only: a double backward does not see it as a function of the inputs.
#pragma once

#include <any>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

#include "xgrad/autograd/function.hpp"
#include "xgrad/autograd/tensor.hpp"

namespace xg::autograd {

class AutogradContext {
 public:
  // Tensors backward will read (inputs, outputs or intermediate values).
  void save_for_backward(tensor_list to_save);
  // The saved tensors, each checked against in-place writes since it was saved. In
  // backward only.
  tensor_list get_saved_variables() const;
  // These outputs get no gradient and do not require grad (e.g. indices, masks).
  void mark_non_differentiable(const tensor_list& outputs);
  // Whether argument i of forward is a tensor that needs a gradient.
  bool needs_input_grad(std::size_t i) const;
  // Anything else backward needs (sizes, flags, options), by name.
  std::unordered_map<std::string, std::any> saved_data;

  // ---- used by Function<T>::apply -------------------------------------------------
  // Hands the saved tensors over to the node (the context must not keep them: it is owned
  // by the node's closure, and a saved output owns the node, which would be a cycle).
  tensor_list take_to_save() { return std::exchange(to_save_, {}); }
  bool is_non_differentiable(const Tensor& output) const;
  void set_needs_input_grad(std::vector<bool> needs) { needs_input_grad_ = std::move(needs); }
  // The running backward, whose node holds the saved tensors (null outside backward).
  void set_backward_ctx(const BackwardCtx* ctx);

 private:
  tensor_list to_save_;
  std::vector<const void*> non_differentiable_;
  std::vector<bool> needs_input_grad_;
  const BackwardCtx* backward_ctx_ = nullptr;
};

namespace detail_function {

// A readable, stable name for T's node ("Log1pExp"); lives as long as the program.
const char* function_name(const std::type_info& type);

// The backward of a user function, given its context: calls `user_backward` with the
// gradients of the outputs and checks what it returns against the arguments of forward.
using UserBackward = std::function<tensor_list(AutogradContext*, const tensor_list&)>;

// Records outputs (in place: each becomes a tensor in the graph) as the result of a user
// function on `inputs`, the tensor arguments of forward; arg_is_tensor says which of the
// arguments were tensors (and in which positions).
void record_function(const char* name, const std::shared_ptr<AutogradContext>& ctx,
                     const tensor_list& inputs, const std::vector<bool>& arg_is_tensor,
                     tensor_list& outputs, UserBackward user_backward);

template <class A> constexpr bool is_tensor_arg = std::is_same_v<std::remove_cvref_t<A>, Tensor>;

}  // namespace detail_function

// The base of a user function T, which defines static forward(AutogradContext*, args...)
// and static backward(AutogradContext*, const tensor_list&) as above.
template <class T> struct Function {
  template <class... Args> static auto apply(Args&&... args) {
    using namespace detail_function;
    auto ctx = std::make_shared<AutogradContext>();
    tensor_list inputs;
    std::vector<bool> arg_is_tensor;
    std::vector<bool> needs;
    (
        [&](const auto& a) {
          constexpr bool is_tensor = is_tensor_arg<decltype(a)>;
          arg_is_tensor.push_back(is_tensor);
          if constexpr (is_tensor) {
            inputs.push_back(a);
            needs.push_back(is_grad_enabled() && a.requires_grad());
          } else {
            needs.push_back(false);
          }
        }(args),
        ...);
    ctx->set_needs_input_grad(std::move(needs));
    using Result = decltype(T::forward(ctx.get(), std::forward<Args>(args)...));
    static_assert(std::is_same_v<Result, Tensor> || std::is_same_v<Result, tensor_list>,
                  "Function<T>: T::forward must return xg::Tensor or xg::tensor_list");
    tensor_list outputs;
    {
      NoGradGuard no_grad;
      if constexpr (std::is_same_v<Result, Tensor>) {
        outputs.push_back(T::forward(ctx.get(), std::forward<Args>(args)...));
      } else {
        outputs = T::forward(ctx.get(), std::forward<Args>(args)...);
      }
    }
    record_function(
        function_name(typeid(T)), ctx, inputs, arg_is_tensor, outputs,
        [](AutogradContext* c, const tensor_list& grads) { return T::backward(c, grads); });
    if constexpr (std::is_same_v<Result, Tensor>) {
      return outputs[0];
    } else {
      return outputs;
    }
  }
};

}  // namespace xg::autograd
