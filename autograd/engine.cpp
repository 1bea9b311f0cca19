// The reverse-mode engine: recording nodes, the backward pass, and graph destruction.
#include "autograd/engine.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>

#include "autograd/detail/impl.hpp"
#include "autograd/detail/pool.hpp"
#include "autograd/ops/elementwise.hpp"

namespace xg {

using autograd::BackwardCtx;
using detail::Edge;
using detail::Node;
using detail::TensorImpl;

namespace autograd {

bool needs_record(std::initializer_list<TensorRef> inputs) {
  if (!is_grad_enabled()) return false;
  for (const Tensor& t : inputs) {
    if (t.requires_grad()) return true;
  }
  return false;
}

bool needs_record(const tensor_list& inputs) {
  if (!is_grad_enabled()) return false;
  for (const auto& t : inputs) {
    if (t.requires_grad()) return true;
  }
  return false;
}

// Note [saved tensors]
// Every Storage carries a version that in-place writes bump. An op lists the tensors its
// backward reads when it is recorded (autograd::record's `saved`); the node keeps them
// with their versions, and BackwardCtx::saved(i) compares the version before handing a
// tensor back, throwing if the value was overwritten since -- PyTorch's "modified by an
// inplace operation" error, checked at the same point (unpacking). Because the closure
// captures no tensor, what a backward reads and what is checked cannot drift apart.
// The output is saved as a handle on its Storage without the grad_fn (a node must not own
// its output, Note [graph ownership]) and reattached when unpacked.
void record_node(const char* name, Tensor& out, std::span<const TensorRef> inputs,
                 std::span<const Saved> saved, BackwardFn fn) {
  using detail::Node;
  auto node = detail::make_node();
  node->name = name;
  node->edges.reserve(inputs.size());
  node->saved.reserve(saved.size());
  for (const Saved& s : saved) {
    Node::SavedSlot slot;
    if (s.tensor() != nullptr) {
      slot.tensor = *s.tensor();  // may be undefined (an optional operand)
      if (slot.tensor.defined()) slot.version = slot.tensor.impl()->storage->version;
    } else {
      slot.tensor = out.detach();  // the values without the graph (no cycle)
      slot.version = out.impl()->storage->version;
      slot.is_output = true;
    }
    node->saved.push_back(std::move(slot));
  }
  if (detail::anomaly_mode_enabled()) node->creation_trace = detail::current_stack_trace();
  for (const Tensor& t : inputs) {
    Edge e;
    if (t.requires_grad()) {
      if (t.impl()->grad_fn) {
        e.node = t.impl()->grad_fn;
      } else {
        e.leaf = t.impl_ptr();
      }
      e.shape = t.shape();
      e.dtype = t.dtype();
    }
    node->edges.push_back(std::move(e));
  }
  node->backward = std::move(fn);
  node->out_shape = out.shape();
  node->out_dtype = out.dtype();
  out.impl()->grad_fn = std::move(node);
  out.impl()->requires_grad = true;
}

void record(const char* name, Tensor& out, const tensor_list& inputs,
            const std::vector<Saved>& saved, BackwardFn backward) {
  if (!needs_record(inputs)) return;
  const std::vector<TensorRef> refs(inputs.begin(), inputs.end());
  record_node(name, out, refs, saved, std::move(backward));
}

bool BackwardCtx::needs_input_grad(std::size_t i) const {
  return i < node_.edges.size() && node_.edges[i].active();
}

std::size_t BackwardCtx::num_saved() const { return node_.saved.size(); }

std::size_t BackwardCtx::num_inputs() const { return node_.edges.size(); }

Shape BackwardCtx::input_shape(std::size_t i) const {
  if (!needs_input_grad(i)) {
    throw GraphError(std::string(node_.name) + " backward: input_shape(" + std::to_string(i) +
                     ") of an input that needs no gradient");
  }
  return node_.edges[i].shape.to_shape();
}

const char* BackwardCtx::name() const { return node_.name; }

Tensor BackwardCtx::saved(std::size_t i) const {
  if (i >= node_.saved.size()) {
    throw GraphError(std::string(node_.name) + " backward: asked for saved tensor " +
                     std::to_string(i) + ", but the op saved " +
                     std::to_string(node_.saved.size()));
  }
  const auto& slot = node_.saved[i];
  if (!slot.tensor.defined()) return slot.tensor;
  const auto& storage = slot.tensor.impl()->storage;
  if (storage->version != slot.version) {
    const std::string which =
        slot.is_output ? std::string("its output") : "saved tensor " + std::to_string(i);
    throw GraphError(
        std::string(node_.name) + ": one of the tensors needed for its gradient (" + which +
        ", shape " + shape_str(slot.tensor.shape()) + ", " +
        std::string(dtype_name(slot.tensor.dtype())) +
        ") has been modified by an inplace operation: it is at version " +
        std::to_string(storage->version) + ", expected version " + std::to_string(slot.version) +
        ". Clone it before modifying it, or modify it after backward()." +
        (node_.creation_trace.empty() ? "" : "\nThe op was created at:\n" + node_.creation_trace));
  }
  if (!slot.is_output) return slot.tensor;
  auto impl = detail::make_pooled<detail::TensorImpl>(*slot.tensor.impl());
  impl->requires_grad = true;
  impl->grad_fn = node_.shared_from_this();
  return Tensor(std::move(impl));
}

}  // namespace autograd

namespace detail {

GradLock& grad_mutex(const TensorImpl* leaf) {
  // One cache line each, so that threads updating different leaves do not share a line.
  struct alignas(64) Slot {
    GradLock lock;
  };
  static std::array<Slot, 64> locks;
  // Pool blocks are at least 64 bytes apart: the low bits carry no information.
  return locks[(reinterpret_cast<std::uintptr_t>(leaf) >> 6) % locks.size()].lock;
}

void record_zero_gradient(const char* name, Tensor& values,
                          std::initializer_list<autograd::TensorRef> inputs) {
  autograd::record(name, values, inputs, {}, [](const BackwardCtx& ctx) {
    tensor_list grads(ctx.num_inputs());
    for (std::size_t i = 0; i < grads.size(); ++i) {
      if (ctx.needs(i)) grads[i] = zeros_like(ctx.grad);
    }
    return grads;
  });
}

// Note [iterative destruction]
// Destroying the last handle to a long chain would destroy Node 1, whose edge destroys
// Node 2, and so on: one stack frame per op, a crash for 10^6 ops. Nor may destroying a
// graph allocate: it also happens while a std::bad_alloc unwinds the stack, where a
// failing allocation in a destructor is std::terminate. So when the last owner of a node
// lets go, the shared_ptr does not run ~Node at once: it calls NodeAllocator::destroy
// (allocate_shared destroys through its allocator), which puts the node on this thread's
// list of dying nodes, linked through Node::next_dying. The outermost call destroys the
// listed nodes one after the other; nodes that die meanwhile (owned only by a destroyed
// node's edges, saved tensors or closure) join the list instead of recursing, so the
// stack depth stays constant and nothing is allocated. A listed node's memory stays
// valid: enable_shared_from_this's weak reference keeps its block until ~Node has run.
namespace {
thread_local Node* dying = nullptr;    // waiting to be destroyed, linked by next_dying
thread_local bool destroying = false;  // an outer destroy_node is emptying the list
}  // namespace

void destroy_node(Node* node) noexcept {
  node->next_dying = dying;
  dying = node;
  if (destroying) return;
  destroying = true;
  while (Node* n = dying) {
    dying = n->next_dying;
    // Holds the block (not the node) until the destructor is done.
    const std::weak_ptr<Node> block = n->weak_from_this();
    n->~Node();
  }
  destroying = false;
}

}  // namespace detail

namespace {

// Nodes reachable from the roots in an order where every node comes before the nodes of
// its inputs. A node is marked visited by writing this sort's number into its visit_mark
// (numbers are unique across threads and passes, so marks never need clearing); a hash
// set here allocated once per node, a cost small graphs paid on every step.
using NodeOrder = std::vector<Node*, detail::PoolAllocator<Node*>>;

using RootNodes = std::vector<std::shared_ptr<Node>, detail::PoolAllocator<std::shared_ptr<Node>>>;

NodeOrder topological_order(const RootNodes& roots) {
  static std::atomic<std::uint64_t> sorts{0};
  const std::uint64_t mark = ++sorts;
  NodeOrder order;
  // node, next edge to visit
  std::vector<std::pair<Node*, std::size_t>, detail::PoolAllocator<std::pair<Node*, std::size_t>>>
      stack;
  order.reserve(32);
  stack.reserve(32);
  for (const auto& root : roots) {
    if (root->visit_mark == mark) continue;
    root->visit_mark = mark;
    stack.emplace_back(root.get(), 0);
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->edges.size()) {
        Node* child = node->edges[next++].node.get();
        if (child == nullptr) continue;
        if (child->visit_mark != mark) {
          child->visit_mark = mark;
          stack.emplace_back(child, 0);
        }
      } else {
        order.push_back(node);
        stack.pop_back();
      }
    }
  }
  // Post-order lists inputs before outputs; backward needs the reverse.
  std::reverse(order.begin(), order.end());
  return order;
}

void accumulate(Tensor& slot, const Tensor& g) { slot = slot.defined() ? slot + g : g; }

// slot = slot + g written into slot's buffer, when nothing else can see that buffer (the
// leaf alone holds slot's handle and values), as PyTorch accumulates .grad: a second
// backward into a gradient then allocates nothing. The same values as slot + g. Returns
// false, changing nothing, when slot is shared or does not match g.
bool add_in_place_if_unshared(Tensor& slot, const Tensor& g) {
  TensorImpl* s = slot.impl();
  if (slot.impl_ptr().use_count() != 1 || s->storage.use_count() != 1 || s->requires_grad ||
      s->grad_fn || s->dtype != g.dtype() || s->shape != g.shape() || !is_floating(s->dtype)) {
    return false;
  }
  autograd::dispatch_float("backward", s->dtype, [&]<class T>() {
    T* o = detail::ptr<T>(slot);
    const T* gv = detail::ptr<T>(g);
    for (std::int64_t i = 0, n = s->numel; i < n; ++i) o[i] = o[i] + gv[i];
  });
  ++s->storage->version;
  return true;
}

void check_finite_gradients(const Node& node, const std::vector<Tensor>& grads) {
  for (std::size_t i = 0; i < grads.size(); ++i) {
    const Tensor& g = grads[i];
    if (!g.defined() || !is_floating(g.dtype())) continue;
    for (double v : g.to_vector<double>()) {
      if (!std::isfinite(v)) {
        throw GraphError(std::string("anomaly detected: ") + node.name + " backward returned " +
                         (std::isnan(v) ? "nan" : "inf") + " in the gradient of input " +
                         std::to_string(i) + " (shape " + shape_str(g.shape()) +
                         "). The op was created at:\n" +
                         (node.creation_trace.empty() ? "  (unknown)" : node.creation_trace));
      }
    }
  }
}

// The gradient `g` an op produced for one input, checked and reduced to the input's shape.
Tensor fit_gradient(const Node& node, std::size_t i, Tensor g) {
  const Edge& e = node.edges[i];
  if (g.dtype() != e.dtype) {
    throw GraphError(std::string(node.name) + " backward: gradient for input " + std::to_string(i) +
                     " has dtype " + std::string(dtype_name(g.dtype())) + ", the input has " +
                     std::string(dtype_name(e.dtype)));
  }
  if (e.shape == g.shape()) return g;
  // A broadcast input receives the sum over the axes it was broadcast along.
  try {
    const Shape input_shape = e.shape.to_shape();
    if (autograd::broadcast_shapes(node.name, input_shape, g.shape()) == g.shape()) {
      return detail::sum_to(g, input_shape);
    }
  } catch (const ShapeError&) {
  }
  throw GraphError(std::string(node.name) + " backward: gradient for input " + std::to_string(i) +
                   " has shape " + shape_str(g.shape()) +
                   ", which does not reduce to the input's shape " + shape_str(e.shape.to_shape()));
}

struct Capture {
  std::unordered_map<const TensorImpl*, std::size_t> leaves;  // leaf input -> result slot
  std::unordered_map<const Node*, std::size_t> nodes;         // non-leaf input -> result slot
  std::vector<Tensor>* results = nullptr;
};

// Note [running only what xg::grad needs]
// xg::grad runs the backward of a node only when one of the requested inputs lies behind
// it, as PyTorch does: the rest of the graph may hold saved tensors that were modified in
// place since (and whose gradients nobody asked for), and running it is wasted work. A
// requested non-leaf is reached when the gradient arrives at its node; the node itself runs
// only if another requested input lies behind it. Computed over the topological order
// from inputs to outputs, so each node's inputs are decided before the node.
void mark_paths_to_inputs(const NodeOrder& order, const Capture& capture) {
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    Node* node = *it;
    bool leads = false;
    for (const Edge& e : node->edges) {
      if (e.node ? e.node->reaches_input : e.leaf && capture.leaves.count(e.leaf.get()) > 0) {
        leads = true;
        break;
      }
    }
    node->leads_to_input = leads;
    node->reaches_input = leads || capture.nodes.count(node) > 0;
  }
}

// Runs the chain rule from roots (with their gradients). Leaf gradients go into .grad
// unless `capture` is given, in which case the gradients of the captured tensors are
// collected instead and nothing is accumulated into .grad.
void run_backward(std::span<const Tensor> roots, std::span<const Tensor> root_grads,
                  bool retain_graph, bool create_graph, Capture* capture) {
  std::optional<NoGradGuard> no_grad;
  std::optional<EnableGradGuard> enable_grad;
  if (create_graph) {
    enable_grad.emplace();
  } else {
    no_grad.emplace();
  }

  auto deliver_leaf = [&](const std::shared_ptr<TensorImpl>& leaf, Tensor g) {
    for (const auto& hook : leaf->hooks) {
      Tensor replaced = hook(g);
      if (replaced.defined()) g = replaced;
    }
    if (capture) {
      auto it = capture->leaves.find(leaf.get());
      if (it != capture->leaves.end()) accumulate((*capture->results)[it->second], g);
      return;
    }
    const std::lock_guard lock(detail::grad_mutex(leaf.get()));  // Note [leaf gradient locks]
    Tensor& slot = leaf->grad;
    if (!slot.defined()) {
      if (create_graph) {
        slot = g;
      } else if (g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1 &&
                 !g.requires_grad()) {
        slot = std::move(g);  // nothing else can see this buffer: keep it, no copy
      } else {
        // g may alias another tensor (add's backward passes its gradient on to both
        // inputs): the leaf must own its gradient, which optimizers modify in place.
        slot = g.detach().clone();
      }
    } else if (create_graph) {
      slot = slot + g;
    } else if (!add_in_place_if_unshared(slot, g)) {
      Tensor sum = slot + g;
      slot = sum;
    }
  };

  // Owning the root nodes keeps every node of the pass alive: the others are reachable
  // from them through edges, which the pass never changes (releasing a closure, or a hook,
  // may drop other owners).
  RootNodes root_nodes;
  for (std::size_t i = 0; i < roots.size(); ++i) {
    const auto& impl = roots[i].impl_ptr();
    if (impl->grad_fn) {
      root_nodes.push_back(impl->grad_fn);
    } else {
      deliver_leaf(impl, root_grads[i]);
    }
  }
  if (root_nodes.empty()) return;

  NodeOrder order = topological_order(root_nodes);
  if (capture) mark_paths_to_inputs(order, *capture);
  for (std::size_t i = 0; i < roots.size(); ++i) {
    if (Node* n = roots[i].impl()->grad_fn.get()) accumulate(n->grad_accum, root_grads[i]);
  }

  try {
    for (Node* node : order) {
      Tensor g = std::move(node->grad_accum);
      node->grad_accum = Tensor();
      if (capture) {
        auto it = capture->nodes.find(node);
        if (it != capture->nodes.end() && g.defined()) {
          accumulate((*capture->results)[it->second], g);
        }
      }
      if (!g.defined() || (capture && !node->leads_to_input)) continue;
      for (const auto& hook : node->pre_hooks) {
        Tensor replaced = hook(g);
        if (replaced.defined()) g = replaced;
      }
      if (auto retained = node->retained.lock()) {
        // As PyTorch: the retained gradient is the one after every hook.
        const std::lock_guard lock(detail::grad_mutex(retained.get()));
        retained->grad = !retained->grad.defined() ? (create_graph ? g : g.detach().clone())
                                                   : retained->grad + g;
      }
      if (!node->backward) {
        throw GraphError(std::string(node->name) +
                         ": trying to backward through the graph a second time, but its saved "
                         "values were freed by the first backward; pass "
                         "{.retain_graph = true} to the first backward() if you need to call it "
                         "again");
      }
      std::vector<Tensor> grads = node->backward(BackwardCtx{g, *node});
      if (detail::anomaly_mode_enabled()) check_finite_gradients(*node, grads);
      if (grads.size() != node->edges.size()) {
        throw GraphError(std::string(node->name) + " backward: returned " +
                         std::to_string(grads.size()) + " gradients for " +
                         std::to_string(node->edges.size()) + " inputs");
      }
      for (std::size_t i = 0; i < grads.size(); ++i) {
        const Edge& e = node->edges[i];
        if (!e.active() || !grads[i].defined()) continue;
        Tensor gi = fit_gradient(*node, i, std::move(grads[i]));
        if (e.node) {
          accumulate(e.node->grad_accum, gi);
        } else {
          deliver_leaf(e.leaf, std::move(gi));
        }
      }
      if (!retain_graph) {
        node->backward = nullptr;
        node->saved.clear();
      }
    }
  } catch (...) {
    for (Node* n : order) {
      n->grad_accum = Tensor();
    }
    throw;
  }
}

Tensor default_root_grad(const char* op, const Tensor& root) {
  if (root.numel() != 1) {
    throw GraphError(std::string(op) +
                     ": grad can be implicitly created only for tensors "
                     "with one element, but the output has shape " +
                     shape_str(root.shape()) + "; pass a gradient of that shape");
  }
  return ones_like(root);
}

void check_root(const char* op, const Tensor& root) {
  autograd::check_defined(op, root);
  if (!root.requires_grad()) {
    throw GraphError(std::string(op) + ": the tensor of shape " + shape_str(root.shape()) +
                     " does not require grad and has no grad_fn (did you forget "
                     "requires_grad = true on an input, or compute it under NoGradGuard?)");
  }
}

void check_root_grad(const char* op, const Tensor& root, const Tensor& g) {
  autograd::check_defined(op, g);
  if (g.shape() != root.shape() || g.dtype() != root.dtype()) {
    throw ShapeError(std::string(op) + ": gradient of shape " + shape_str(g.shape()) + " (" +
                     std::string(dtype_name(g.dtype())) + ") does not match the output's " +
                     shape_str(root.shape()) + " (" + std::string(dtype_name(root.dtype())) + ")");
  }
}

}  // namespace

void Tensor::backward(const BackwardOptions& opts) const {
  check_root("backward", *this);
  const Tensor root_grad = default_root_grad("backward", *this);
  run_backward(std::span(this, 1), std::span(&root_grad, 1), opts.retain_graph || opts.create_graph,
               opts.create_graph, nullptr);
}

void Tensor::backward(const Tensor& gradient, const BackwardOptions& opts) const {
  check_root("backward", *this);
  check_root_grad("backward", *this, gradient);
  run_backward(std::span(this, 1), std::span(&gradient, 1), opts.retain_graph || opts.create_graph,
               opts.create_graph, nullptr);
}

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const GradOptions& opts) {
  std::vector<Tensor> grad_outputs = opts.grad_outputs;
  if (grad_outputs.empty()) {
    for (const auto& o : outputs) {
      check_root("grad", o);
      grad_outputs.push_back(default_root_grad("grad", o));
    }
  }
  if (outputs.size() != grad_outputs.size()) {
    throw ValueError("grad: " + std::to_string(outputs.size()) + " outputs but " +
                     std::to_string(grad_outputs.size()) + " output gradients");
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    check_root("grad", outputs[i]);
    check_root_grad("grad", outputs[i], grad_outputs[i]);
  }
  std::vector<Tensor> results(inputs.size());
  Capture capture;
  capture.results = &results;
  std::vector<std::pair<std::size_t, std::size_t>> duplicate_of;  // (input, first listing)
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    autograd::check_defined("grad", t);
    if (!t.requires_grad()) {
      throw GraphError("grad: input " + std::to_string(i) + " of shape " + shape_str(t.shape()) +
                       " does not require grad");
    }
    // The same tensor may be listed more than once (or reached twice, as x and x.to(its
    // own dtype)): each listing gets the gradient, collected once.
    const auto slot = t.impl()->grad_fn
                          ? capture.nodes.try_emplace(t.impl()->grad_fn.get(), i).first->second
                          : capture.leaves.try_emplace(t.impl(), i).first->second;
    if (slot != i) duplicate_of.emplace_back(i, slot);
  }
  run_backward(outputs, grad_outputs, opts.retain_graph || opts.create_graph, opts.create_graph,
               &capture);
  for (const auto& [i, first] : duplicate_of) results[i] = results[first];
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (!results[i].defined() && !opts.allow_unused) {
      throw GraphError("grad: input " + std::to_string(i) + " of shape " +
                       shape_str(inputs[i].shape()) +
                       " was not used to compute the outputs (pass {.allow_unused = true})");
    }
  }
  return results;
}

}  // namespace xg
