// The non-template half of autograd::Function: recording a user function's outputs.
#include "autograd/custom_function.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>

#include "autograd/ops/indexing.hpp"
#include "autograd/ops/shape.hpp"

namespace xg::autograd {

void AutogradContext::save_for_backward(tensor_list to_save) { to_save_ = std::move(to_save); }

tensor_list AutogradContext::get_saved_variables() const {
  if (backward_ctx_ == nullptr) {
    throw GraphError("get_saved_variables: the saved tensors are read in backward only");
  }
  tensor_list out;
  out.reserve(backward_ctx_->num_saved());
  for (std::size_t i = 0; i < backward_ctx_->num_saved(); ++i)
    out.push_back(backward_ctx_->saved(i));
  return out;
}

void AutogradContext::mark_non_differentiable(const tensor_list& outputs) {
  for (const Tensor& t : outputs) {
    check_defined("mark_non_differentiable", t);
    non_differentiable_.push_back(t.impl());
  }
}

bool AutogradContext::is_non_differentiable(const Tensor& output) const {
  return std::find(non_differentiable_.begin(), non_differentiable_.end(), output.impl()) !=
         non_differentiable_.end();
}

bool AutogradContext::needs_input_grad(std::size_t i) const {
  if (i >= needs_input_grad_.size()) {
    throw ValueError("needs_input_grad: argument " + std::to_string(i) + " of " +
                     std::to_string(needs_input_grad_.size()));
  }
  return needs_input_grad_[i];
}

void AutogradContext::set_backward_ctx(const BackwardCtx* ctx) { backward_ctx_ = ctx; }

namespace detail_function {

const char* function_name(const std::type_info& type) {
  static std::mutex mutex;
  static std::map<std::string, std::string> names;  // mangled -> readable; never shrinks
  const std::lock_guard lock(mutex);
  auto [it, inserted] = names.try_emplace(type.name());
  if (inserted) {
    int status = 0;
    char* readable = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
    it->second = status == 0 && readable != nullptr ? readable : type.name();
    std::free(readable);
  }
  return it->second.c_str();
}

namespace {

bool same_tensor(const Tensor& a, const Tensor& b) { return a.impl() == b.impl(); }

// Clears the context's pointer to the running backward on every exit.
struct BackwardScope {
  BackwardScope(AutogradContext& ctx, const BackwardCtx& b) : ctx_(ctx) {
    ctx_.set_backward_ctx(&b);
  }
  ~BackwardScope() { ctx_.set_backward_ctx(nullptr); }
  BackwardScope(const BackwardScope&) = delete;
  BackwardScope& operator=(const BackwardScope&) = delete;
  AutogradContext& ctx_;
};

// What a recorded user function keeps for its backward, besides the context.
struct FunctionRecord {
  const char* name;
  std::vector<bool> arg_is_tensor;
  std::vector<Shape> out_shapes;
  std::vector<Dtype> out_dtypes;
  std::vector<std::size_t> differentiable;  // outputs that receive a gradient
  std::vector<std::int64_t> offsets;        // several outputs: where each sits in the packing
};

// The gradients of forward's tensor arguments, from what the user's backward returned (one
// per argument of forward).
tensor_list input_gradients(const FunctionRecord& r, tensor_list returned) {
  if (returned.size() != r.arg_is_tensor.size()) {
    throw GraphError(std::string(r.name) + " backward: returned " +
                     std::to_string(returned.size()) + " gradients, expected " +
                     std::to_string(r.arg_is_tensor.size()) +
                     " (one per argument of forward, undefined for arguments that are not "
                     "tensors)");
  }
  tensor_list grads;
  for (std::size_t i = 0; i < returned.size(); ++i) {
    if (r.arg_is_tensor[i]) {
      grads.push_back(std::move(returned[i]));
    } else if (returned[i].defined()) {
      throw GraphError(std::string(r.name) + " backward: returned a gradient for argument " +
                       std::to_string(i) + ", which is not a tensor (return Tensor() for it)");
    }
  }
  return grads;
}

}  // namespace

// Note [user functions with several outputs]
// The engine's nodes have one output. A user function with several differentiable outputs
// is recorded as one node (the user's backward) whose output is a flat "packed" tensor
// holding room for all of them, and one small node per output that places the output's
// gradient at its offset in a gradient of the packing (concat with zeros, differentiable).
// The engine sums those, and the function's node splits the sum back into one gradient per
// output (zeros for outputs nothing used), so the user's backward sees them all at once.
void record_function(const char* name, const std::shared_ptr<AutogradContext>& ctx,
                     const tensor_list& inputs, const std::vector<bool>& arg_is_tensor,
                     tensor_list& outputs, UserBackward user_backward) {
  auto r = std::make_shared<FunctionRecord>();
  r->name = name;
  r->arg_is_tensor = arg_is_tensor;
  const tensor_list originals = outputs;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    Tensor& o = outputs[i];
    if (!o.defined()) {
      throw GraphError(std::string(name) + ": forward returned an undefined tensor as output " +
                       std::to_string(i));
    }
    if (!ctx->is_non_differentiable(o) && is_floating(o.dtype())) r->differentiable.push_back(i);
    // An output that is an input, or is already in a graph, becomes a new handle on the same
    // values: recording must not change the graph of a tensor the caller holds.
    const bool is_input = std::any_of(inputs.begin(), inputs.end(),
                                      [&](const Tensor& t) { return same_tensor(t, o); });
    if (is_input || o.requires_grad()) o = o.detach();
    r->out_shapes.push_back(o.shape());
    r->out_dtypes.push_back(o.dtype());
  }
  const tensor_list to_save = ctx->take_to_save();
  if (!needs_record(inputs) || r->differentiable.empty()) return;

  const bool packed = r->differentiable.size() > 1;
  // The saved tensors; the single output is saved as the node's output (no cycle).
  std::vector<Saved> saved;
  for (const Tensor& t : to_save) {
    const bool is_output = !packed && same_tensor(t, originals[r->differentiable[0]]);
    saved.push_back(is_output ? Saved(output) : Saved(t));
  }

  BackwardFn fn = [ctx, r, user_backward](const BackwardCtx& b) {
    tensor_list grad_outputs(r->out_shapes.size());
    for (std::size_t i = 0; i < grad_outputs.size(); ++i) {
      grad_outputs[i] = zeros(r->out_shapes[i], {.dtype = r->out_dtypes[i]});
    }
    if (r->offsets.empty()) {
      grad_outputs[r->differentiable[0]] = b.grad;
    } else {
      for (std::size_t k = 0; k < r->differentiable.size(); ++k) {
        const std::size_t i = r->differentiable[k];
        const std::int64_t off = r->offsets[k];
        grad_outputs[i] =
            reshape(slice(b.grad, 0, off, off + shape_numel(r->out_shapes[i])), r->out_shapes[i]);
      }
    }
    const BackwardScope scope(*ctx, b);
    return input_gradients(*r, user_backward(ctx.get(), grad_outputs));
  };

  if (!packed) {
    record(name, outputs[r->differentiable[0]], inputs, saved, std::move(fn));
    return;
  }
  const Dtype dtype = outputs[r->differentiable[0]].dtype();
  std::int64_t total = 0;
  for (std::size_t i : r->differentiable) {
    if (outputs[i].dtype() != dtype) {
      throw DtypeError(std::string(name) + ": differentiable outputs must share one dtype, got " +
                       std::string(dtype_name(dtype)) + " and " +
                       std::string(dtype_name(outputs[i].dtype())) + " (output " +
                       std::to_string(i) + "); mark the other non-differentiable");
    }
    r->offsets.push_back(total);
    total += outputs[i].numel();
  }
  Tensor packing = empty({total}, {.dtype = dtype});  // values never read
  record(name, packing, inputs, saved, std::move(fn));
  for (std::size_t k = 0; k < r->differentiable.size(); ++k) {
    Tensor& o = outputs[r->differentiable[k]];
    const std::int64_t off = r->offsets[k], n = o.numel();
    o = o.detach();  // a fresh handle for the node (the user may hold the old one)
    autograd::record(
        "function_output", o, {packing}, {}, [off, n, total, dtype](const BackwardCtx& b) {
          return tensor_list{concat({zeros({off}, {.dtype = dtype}), reshape(b.grad, {n}),
                                     zeros({total - off - n}, {.dtype = dtype})})};
        });
  }
}

}  // namespace detail_function
}  // namespace xg::autograd
