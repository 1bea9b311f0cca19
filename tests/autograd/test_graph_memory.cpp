// The graph of a create_graph step is freed when its handles go (no shared_ptr cycle keeps
// nodes alive). A white-box test of the engine: it walks the graph through detail/impl.hpp.
#include <memory>
#include <unordered_set>
#include <vector>

#include "autograd/detail/impl.hpp"
#include "support/check.hpp"
#include "support/mlp.hpp"

namespace {

std::vector<std::weak_ptr<xg::detail::Node>> graph_nodes(const xg::Tensor& t) {
  std::vector<std::weak_ptr<xg::detail::Node>> out;
  std::unordered_set<const xg::detail::Node*> seen;
  std::vector<std::shared_ptr<xg::detail::Node>> stack;
  if (t.impl()->grad_fn) stack.push_back(t.impl()->grad_fn);
  while (!stack.empty()) {
    std::shared_ptr<xg::detail::Node> n = std::move(stack.back());
    stack.pop_back();
    if (!seen.insert(n.get()).second) continue;
    out.push_back(n);
    for (const auto& e : n->edges) {
      if (e.node) stack.push_back(e.node);
    }
  }
  return out;
}

template <class T> long alive(const std::vector<std::weak_ptr<T>>& ptrs) {
  long n = 0;
  for (const auto& p : ptrs) n += !p.expired();
  return n;
}

}  // namespace

using xg::test::Mlp;

TEST_CASE("Memory: a create_graph step frees its whole graph when the handles go") {
  xg::manual_seed(10);
  Mlp m;
  std::vector<std::weak_ptr<xg::detail::TensorImpl>> impls;
  std::vector<std::weak_ptr<xg::detail::Node>> nodes;
  {
    Mlp::Penalised r = m.penalised_forward();
    // The double-backward graph: the gradients' own nodes, reachable from the total.
    nodes = graph_nodes(r.total);
    for (const xg::Tensor* t : {&r.loss, &r.penalty, &r.total}) impls.push_back(t->impl_ptr());
    for (const xg::Tensor& g : r.grads) {
      REQUIRE(g.requires_grad());  // create_graph: the gradients are in a graph
      impls.push_back(g.impl_ptr());
    }
    REQUIRE(nodes.size() > 10);
    m.opt.zero_grad();
    r.total.backward();
    m.opt.step();
    CHECK(alive(impls) == static_cast<long>(impls.size()));
    CHECK(alive(nodes) > 0);
  }
  INFO(nodes.size() << " nodes, " << impls.size() << " tensors watched");
  CHECK(alive(nodes) == 0);
  CHECK(alive(impls) == 0);
  // The parameters' gradients are plain values, not part of a graph.
  for (const xg::Tensor& p : m.params) {
    REQUIRE(p.grad().defined());
    CHECK_FALSE(p.grad().requires_grad());
  }
}

// backward(create_graph) accumulates a gradient that is itself in a graph, and that graph
// refers back to the leaf (d/dw of w * w reads w). As in PyTorch, this is a cycle that
// zero_grad() (set_to_none, the default) breaks: afterwards everything is freed.
TEST_CASE("Memory: backward(create_graph) frees the leaf and its graph after zero_grad") {
  std::weak_ptr<xg::detail::TensorImpl> leaf, grad, loss;
  std::vector<std::weak_ptr<xg::detail::Node>> nodes;
  {
    xg::Tensor w = xg::tensor({0.5, -1.0, 2.0}, {3}, {.requires_grad = true});
    xg::Tensor l = xg::sum(xg::tanh(w * w));
    l.backward({.create_graph = true});
    REQUIRE(w.grad().requires_grad());
    // Second order: the gradient's own graph differentiates back to w.
    xg::Tensor g = w.grad();
    const std::vector<xg::Tensor> h = xg::grad({xg::sum(g)}, {w});
    CHECK(h[0].defined());
    leaf = w.impl_ptr();
    grad = g.impl_ptr();
    loss = l.impl_ptr();
    nodes = graph_nodes(g);
    auto more = graph_nodes(l);
    nodes.insert(nodes.end(), more.begin(), more.end());
    REQUIRE_FALSE(nodes.empty());
    w.zero_grad();
  }
  CHECK(leaf.expired());
  CHECK(grad.expired());
  CHECK(loss.expired());
  CHECK(alive(nodes) == 0);
}

namespace {
// A user function that saves its own output: the context must not keep it (a cycle).
struct SavesOutput : xg::autograd::Function<SavesOutput> {
  static xg::Tensor forward(xg::autograd::AutogradContext* ctx, const xg::Tensor& x) {
    xg::Tensor y = xg::exp(x);
    ctx->save_for_backward({y, x});
    return y;
  }
  static xg::tensor_list backward(xg::autograd::AutogradContext* ctx, const xg::tensor_list& g) {
    return {g[0] * ctx->get_saved_variables()[0]};
  }
};
}  // namespace

TEST_CASE("Memory: a user function that saves its output frees its graph") {
  std::vector<std::weak_ptr<xg::detail::Node>> nodes;
  {
    xg::Tensor x = xg::randn({3}, {.requires_grad = true});
    xg::Tensor y = SavesOutput::apply(x);
    nodes = graph_nodes(y);
    REQUIRE(nodes.size() == 1);
    xg::grad({y.sum()}, {x}, {.create_graph = true});
  }
  CHECK(alive(nodes) == 0);
}
