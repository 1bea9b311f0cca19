// Module behaviour through real layers: user-defined modules, containers (Sequential,
// ModuleList), parameter naming, modes, state dicts, hooks, error paths and printing.
#include <doctest/doctest.h>

#include <memory>
#include <sstream>

#include "support/check.hpp"

using namespace xg;
using namespace xg::nn;
using xg::test::check_gradcheck;
using xg::test::check_throws;
using xg::test::check_values;
using xg::test::rand_f64;

namespace {

// Two layers with a skip connection: x + fc2(relu(fc1(x))).
struct SkipNet : Module {
  std::shared_ptr<Linear> fc1, fc2;
  SkipNet(std::int64_t dim, std::int64_t hidden) : Module("SkipNet") {
    fc1 = register_module("fc1", Linear(dim, hidden));
    fc2 = register_module("fc2", Linear(hidden, dim));
  }
  using Module::forward;
  Tensor forward(const Tensor& x) override { return (*fc2)(relu((*fc1)(x))) + x; }
};

// A Sequential inside a custom module, plus a head.
struct Tower : Module {
  std::shared_ptr<Sequential> layers;
  std::shared_ptr<Linear> head;
  Tower() : Module("Tower") {
    layers = register_module("layers", Sequential{Linear(4, 8), Tanh(), Linear(8, 6)});
    head = register_module("head", Linear(6, 2, false));
  }
  using Module::forward;
  Tensor forward(const Tensor& x) override { return (*head)((*layers)(x)); }
};

Tensor mse(const Tensor& a, const Tensor& b) { return square(a - b).mean(); }

}  // namespace

// ---- user-defined modules ----------------------------------------------------------------

TEST_CASE("nn.module: a user-defined net with a skip connection trains with hand-written SGD") {
  manual_seed(10);
  SkipNet net(3, 16);
  CHECK(net.num_parameters() == (3 * 16 + 16) + (16 * 3 + 3));
  // Learn y = -x (the skip connection must be cancelled by the residual branch).
  const Tensor x = randn({64, 3});
  const Tensor y = -x;
  std::vector<double> losses;
  for (int step = 0; step < 30; ++step) {
    net.zero_grad();
    Tensor loss = mse(net(x), y);
    losses.push_back(loss.item());
    loss.backward();
    NoGradGuard ng;
    for (auto& p : net.parameters()) {
      REQUIRE(p.grad().defined());
      auto v = p.mutable_data<float>();
      const auto g = p.grad().data<float>();
      for (std::size_t i = 0; i < v.size(); ++i) v[i] -= 0.1f * g[i];
    }
  }
  INFO("first loss " << losses.front() << ", last " << losses.back());
  CHECK(losses.back() < 0.5 * losses.front());
  for (std::size_t i = 1; i < losses.size(); ++i) CHECK(losses[i] < losses[i - 1] * 1.05);
}

TEST_CASE("nn.module: gradcheck through a custom module over input and parameters") {
  manual_seed(11);
  SkipNet net(3, 4);
  net.to(f64);
  // Keep relu's inputs away from 0: gradcheck over x with a positive-biased first layer.
  Tensor x = rand_f64({2, 3});
  check_gradcheck([&](const std::vector<Tensor>& in) { return net(in[0]); }, {x});
  const Tensor xc = x.detach();
  check_gradcheck([&](const std::vector<Tensor>&) { return net(xc); }, net.parameters());
}

TEST_CASE("nn.module: named_parameters gives dotted paths through a nested Sequential") {
  Tower t;
  std::vector<std::string> names;
  for (const auto& [name, p] : t.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"layers.0.weight", "layers.0.bias", "layers.2.weight",
                                          "layers.2.bias", "head.weight"});
  CHECK(t.parameters().size() == 5);
  CHECK(t.parameters(false).empty());
  CHECK(t.num_parameters() == (4 * 8 + 8) + (8 * 6 + 6) + 6 * 2);
  const auto children = t.children();
  REQUIRE(children.size() == 2);
  CHECK(children[0] == t.layers);
  CHECK(children[1] == t.head);
  CHECK(t.layers->children().size() == 3);
  std::vector<std::string> paths;
  for (const auto& [path, m] : t.named_modules()) paths.push_back(path + ":" + m->type_name());
  CHECK(paths == std::vector<std::string>{":Tower", "layers:Sequential", "layers.0:Linear",
                                          "layers.1:Tanh", "layers.2:Linear", "head:Linear"});
  // The typed handle and the registered parameter are the same tensor.
  CHECK(t.named_parameters()[4].second.impl() == t.head->weight.impl());
  CHECK(t.layers->at<Linear>(2)->out_features == 6);
}

TEST_CASE("nn.module: train() and eval() reach every descendant; Dropout follows") {
  struct WithDropout : Module {
    std::shared_ptr<Sequential> body;
    WithDropout() : Module("WithDropout") {
      body = register_module("body", Sequential{Linear(4, 4), Dropout(0.5)});
    }
    using Module::forward;
    Tensor forward(const Tensor& x) override { return (*body)(x); }
  };
  manual_seed(12);
  WithDropout m;
  auto drop = m.body->at<Dropout>(1);
  CHECK(m.is_training());
  CHECK(drop->is_training());
  const Tensor x = randn({8, 4});
  m.eval();
  CHECK_FALSE(m.is_training());
  CHECK_FALSE(m.body->is_training());
  CHECK_FALSE(drop->is_training());
  // Eval: deterministic, equal to the Linear alone.
  const auto expected = (*m.body->at<Linear>(0))(x).to_vector<double>();
  CHECK(m(x).to_vector<double>() == expected);
  CHECK(m(x).to_vector<double>() == expected);
  m.train();
  CHECK(drop->is_training());
  // Training: some outputs are dropped (32 values, each zero with probability 1/2).
  const auto out = m(x).to_vector<double>();
  CHECK(std::count(out.begin(), out.end(), 0.0) > 0);
  CHECK(out != expected);
}

TEST_CASE("nn.module: zero_grad forgets or zeroes every gradient") {
  manual_seed(13);
  Tower t;
  t(randn({3, 4})).sum().backward();
  for (const auto& p : t.parameters()) CHECK(p.grad().defined());
  t.zero_grad(false);
  for (const auto& p : t.parameters()) {
    REQUIRE(p.grad().defined());
    for (double v : p.grad().to_vector<double>()) CHECK(v == 0.0);
  }
  t.zero_grad();
  for (const auto& p : t.parameters()) CHECK_FALSE(p.grad().defined());
}

TEST_CASE("nn.module: to(f64) converts in place; typed handles follow") {
  manual_seed(14);
  Tower t;
  const auto before = t.head->weight.to_vector<double>();
  t.to(f64);
  for (const auto& p : t.parameters()) {
    CHECK(p.dtype() == f64);
    CHECK(p.requires_grad());
  }
  CHECK(t.head->weight.dtype() == f64);
  CHECK(t.head->weight.to_vector<double>() == before);
  CHECK(t(zeros({1, 4}, {.dtype = f64})).dtype() == f64);
  check_throws<DtypeError>([&] { t(zeros({1, 4})); }, {"f32", "f64"});
}

TEST_CASE("nn.module: state_dict round trip") {
  manual_seed(15);
  Tower a;
  manual_seed(16);
  Tower b;
  const Tensor x = randn({2, 4});
  CHECK(a(x).to_vector<double>() != b(x).to_vector<double>());
  const StateDict sd = a.state_dict();
  CHECK(sd.size() == 5);
  CHECK(sd.count("layers.2.bias") == 1);
  CHECK(sd.at("layers.0.weight").shape() == Shape{8, 4});
  b.load_state_dict(sd);
  CHECK(a(x).to_vector<double>() == b(x).to_vector<double>());
  // Loading copies values: b's parameters stay its own tensors.
  CHECK(b.head->weight.impl() != a.head->weight.impl());
  CHECK(b.head->weight.requires_grad());
}

TEST_CASE("nn.module: load_state_dict strict errors name the key and the shapes") {
  Tower t;
  StateDict sd = t.state_dict();
  const auto before = t.head->weight.to_vector<double>();

  StateDict missing = sd;
  missing.erase("layers.2.weight");
  check_throws<ValueError>([&] { t.load_state_dict(missing); },
                           {"missing", "layers.2.weight", "(6, 8)"});
  t.load_state_dict(missing, false);  // non-strict: loads the rest

  StateDict unexpected = sd;
  unexpected["layers.9.weight"] = zeros({3, 3});
  check_throws<ValueError>([&] { t.load_state_dict(unexpected); },
                           {"unexpected", "layers.9.weight"});

  StateDict wrong = sd;
  wrong["head.weight"] = ones({3, 6});
  check_throws<ShapeError>([&] { t.load_state_dict(wrong); }, {"head.weight", "(2, 6)", "(3, 6)"});
  // A failed load changes nothing.
  CHECK(t.head->weight.to_vector<double>() == before);
}

// ---- hooks -------------------------------------------------------------------------------

TEST_CASE("nn.module: forward hooks observe and replace outputs; remove() stops them") {
  manual_seed(17);
  Sequential model{Linear(3, 4), ReLU(), Linear(4, 2)};
  std::vector<Shape> seen;
  HookHandle observe =
      model[0]->register_forward_hook([&](Module& m, const Tensor& in, const Tensor& out) {
        CHECK(m.type_name() == "Linear");
        seen.push_back(in.shape());
        seen.push_back(out.shape());
        return Tensor();  // keep the output
      });
  const Tensor x = randn({5, 3});
  const auto plain = model(x).to_vector<double>();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == Shape{5, 3});
  CHECK(seen[1] == Shape{5, 4});

  // Replacing the ReLU's output with zeros leaves only the last layer's bias.
  HookHandle replace = model[1]->register_forward_hook(
      [](Module&, const Tensor&, const Tensor& out) { return zeros_like(out); });
  const auto bias = model.at<Linear>(2)->bias.to_vector<double>();
  check_values(model(x), {bias[0], bias[1], bias[0], bias[1], bias[0], bias[1], bias[0], bias[1],
                          bias[0], bias[1]});
  replace.remove();
  observe.remove();
  observe.remove();  // a second remove is harmless
  CHECK(model(x).to_vector<double>() == plain);
  CHECK(seen.size() == 4);  // only the call with both hooks active added entries
}

TEST_CASE("nn.module: backward hooks observe and replace the output gradient") {
  manual_seed(18);
  Linear fc(3, 2);
  const Tensor x = randn({4, 3});
  std::vector<Tensor> grads;
  HookHandle h = fc.register_backward_hook([&](Module&, const Tensor& g) {
    grads.push_back(g);
    return Tensor();
  });
  (fc(x) * 3.0).sum().backward();
  REQUIRE(grads.size() == 1);
  CHECK(grads[0].shape() == Shape{4, 2});
  check_values(grads[0], std::vector<double>(8, 3.0));
  const auto w_grad = fc.weight.grad().to_vector<double>();

  // Doubling the gradient doubles the parameters' gradients.
  HookHandle twice = fc.register_backward_hook([](Module&, const Tensor& g) { return g * 2.0; });
  fc.zero_grad();
  (fc(x) * 3.0).sum().backward();
  CHECK(grads.size() == 2);
  const auto doubled = fc.weight.grad().to_vector<double>();
  for (std::size_t i = 0; i < w_grad.size(); ++i)
    CHECK(doubled[i] == doctest::Approx(2 * w_grad[i]));

  twice.remove();
  h.remove();
  fc.zero_grad();
  (fc(x) * 3.0).sum().backward();
  CHECK(grads.size() == 2);
  check_values(fc.weight.grad(), w_grad, 1e-6);
}

// ---- errors name the path ----------------------------------------------------------------

TEST_CASE("nn.module: a wrong-size Linear deep in a model names its path and both shapes") {
  struct Outer : Module {
    std::shared_ptr<Sequential> layers;
    Outer() : Module("Outer") {
      // The second Linear expects 5 features but receives 8.
      layers = register_module("layers", Sequential{Linear(4, 8), ReLU(), Linear(5, 3)});
    }
    using Module::forward;
    Tensor forward(const Tensor& x) override { return (*layers)(x); }
  };
  Outer m;
  check_throws<ShapeError>(
      [&] {
        m(zeros({2, 4}));
      },
      {"layers.2 (Linear)", "expected input with 5 features", "(2, 8)", "(3, 5)"});
  // Through a Sequential alone the path is the index.
  Sequential s{Linear(4, 8), ReLU(), Linear(5, 3)};
  check_throws<ShapeError>([&] { s(zeros({2, 4})); }, {"2 (Linear)", "(2, 8)", "(3, 5)"});
  // The next call is clean (no stale path from the failed one).
  Linear ok(4, 2);
  check_throws<ShapeError>([&] { ok(zeros({1, 3})); }, {"Linear", "(1, 3)", "(2, 4)"});
}

namespace {

// The mistake of Note [forward not overridden]: forward takes its tensor by value, so it
// hides Module::forward(const Tensor&) rather than overriding it.
struct ByValueNet : Module {
  ByValueNet() : Module("ByValueNet") {}
  Tensor forward(Tensor x) { return x * 2.0; }  // NOLINT: the mistake under test
};

}  // namespace

TEST_CASE("nn.module: a forward taking the tensor by value is named as the cause") {
  ByValueNet net;
  CHECK(net.forward(ones({2})).to_vector<float>() == std::vector<float>{2, 2});
  check_throws<GraphError>([&] { net(ones({2})); },
                           {"ByValueNet", "does not override Module::forward(const Tensor&)",
                            "taking the tensor by value", "hides Module::forward(const Tensor&)",
                            "Tensor forward(const Tensor& x) override"});
  // Sequential calls it the same way.
  Sequential s{ByValueNet()};
  check_throws<GraphError>([&] { s(ones({2})); }, {"ByValueNet", "by value"});
}

// ---- containers --------------------------------------------------------------------------

TEST_CASE("nn.Sequential: built from a list, named by index, runs in order") {
  manual_seed(19);
  Sequential model{Linear(4, 8), ReLU(), Linear(8, 2)};
  CHECK(model.size() == 3);
  std::vector<std::string> names;
  for (const auto& [name, p] : model.named_parameters()) names.push_back(name);
  CHECK(names == std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"});
  const Tensor x = randn({3, 4});
  auto fc1 = model.at<Linear>(0);
  auto fc2 = model.at<Linear>(-1);
  const auto manual = (*fc2)(relu((*fc1)(x))).to_vector<double>();
  CHECK(model(x).to_vector<double>() == manual);
  CHECK(model[1]->type_name() == "ReLU");
  CHECK(model[-2] == model[1]);
  int visited = 0;
  for (const ModulePtr& m : model) visited += m != nullptr;
  CHECK(visited == 3);
  // An empty Sequential is the identity.
  Sequential empty;
  CHECK(empty(x).impl() == x.impl());
}

TEST_CASE("nn.Sequential: push_back, append, shared modules and gradcheck") {
  manual_seed(20);
  auto shared = std::make_shared<Linear>(3, 3);
  Sequential model{shared, Tanh()};
  model.push_back(Linear(3, 2));
  model.append(Sigmoid()).append(Identity());
  model.push_back("out", Softmax(1));
  CHECK(model.size() == 6);
  CHECK(model[0] == shared);  // held, not copied
  std::vector<std::string> child_names;
  for (const auto& [name, m] : model.named_children()) child_names.push_back(name);
  CHECK(child_names == std::vector<std::string>{"0", "1", "2", "3", "4", "out"});
  model.to(f64);
  CHECK(shared->weight.dtype() == f64);
  Tensor x = rand_f64({2, 3});
  check_gradcheck([&](const std::vector<Tensor>& in) { return model(in[0]); }, {x});
  const Tensor xc = x.detach();
  check_gradcheck([&](const std::vector<Tensor>&) { return model(xc); }, model.parameters());
}

TEST_CASE("nn.Sequential: bad indices and types") {
  Sequential model{Linear(2, 2), ReLU()};
  check_throws<ValueError>([&] { model[2]; }, {"Sequential", "index 2", "2 modules"});
  check_throws<ValueError>([&] { model[-3]; }, {"Sequential", "-3"});
  check_throws<ValueError>([&] { model.at<Linear>(1); }, {"Sequential", "ReLU"});
  check_throws<ValueError>([&] { model.push_back(std::shared_ptr<Linear>()); }, {"null"});
  check_throws<ValueError>([&] { model.push_back("0", ReLU()); }, {"already registered"});
}

namespace {
// A module whose parameters and buffers are registered from outside.
struct Bag : Module {
  Bag() : Module("Bag") {}
  void add_parameter(const std::string& name) { register_parameter(name, zeros({1})); }
  void add_buffer(const std::string& name) { register_buffer(name, zeros({1})); }
  void replace(const std::string& name, const Tensor& t) { replace_parameter(name, t); }
};
// prefix + i (appended rather than "p" + ..., which trips GCC 12's -Wrestrict).
std::string numbered(const char* prefix, int i) {
  std::string name = prefix;
  name += std::to_string(i);
  return name;
}
}  // namespace

TEST_CASE("nn.module: 50000 children and parameters keep their order and names") {
  // Registration, walking, state_dict and load_state_dict are linear in the number of
  // modules (the time is in benchmarks/README.md); this checks what they produce.
  const int n = 50'000;
  Sequential model;
  for (int i = 0; i < n; ++i) model.push_back(Linear(1, 1));
  REQUIRE(model.size() == n);
  const auto& children = model.named_children();
  int misnamed = 0;
  for (int i = 0; i < n; ++i)
    misnamed += children[static_cast<std::size_t>(i)].first != std::to_string(i);
  CHECK(misnamed == 0);
  check_throws<ValueError>(
      [&] { model.push_back(std::to_string(n - 1), ReLU()); },
      {"Sequential", "module \"" + std::to_string(n - 1) + "\" already registered"});
  check_throws<ValueError>([&] { model.push_back("0", ReLU()); },
                           {"module \"0\" already registered"});
  CHECK(model.size() == n);  // the rejected modules were not added
  model.push_back("tail", ReLU());
  CHECK(model.named_children().back().first == "tail");

  const NamedTensors params = model.named_parameters();
  REQUIRE(params.size() == 2 * static_cast<std::size_t>(n));
  CHECK(params[0].first == "0.weight");
  CHECK(params[1].first == "0.bias");
  CHECK(params[2 * n - 1].first == std::to_string(n - 1) + ".bias");

  // load_state_dict by name: every value lands in its own layer.
  StateDict state = model.state_dict();
  REQUIRE(state.size() == 2 * static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) state[std::to_string(i) + ".bias"] = full({1}, double(i));
  model.load_state_dict(state);
  int wrong = 0;
  for (int i = 0; i < n; ++i) wrong += model.at<Linear>(i)->bias.item<float>() != float(i);
  CHECK(wrong == 0);
  state["extra.weight"] = zeros({1});
  check_throws<ValueError>([&] { model.load_state_dict(state); },
                           {"unexpected key \"extra.weight\""});

  // Parameters and buffers of one module, many of them.
  Bag bag;
  for (int i = 0; i < n; ++i) bag.add_parameter(numbered("p", i));
  for (int i = 0; i < n; ++i) bag.add_buffer(numbered("b", i));
  check_throws<ValueError>([&] { bag.add_parameter("p7"); },
                           {"Bag", "parameter \"p7\" already registered"});
  check_throws<ValueError>([&] { bag.add_buffer("b7"); },
                           {"Bag", "buffer \"b7\" already registered"});
  bag.replace(numbered("p", n - 1), ones({1}));
  const NamedTensors bag_params = bag.named_parameters();
  REQUIRE(bag_params.size() == static_cast<std::size_t>(n));
  CHECK(bag_params.back().first == numbered("p", n - 1));
  CHECK(bag_params.back().second.item<float>() == 1.0f);
  CHECK(bag.named_buffers().size() == static_cast<std::size_t>(n));
  check_throws<ValueError>([&] { bag.replace("nope", ones({1})); },
                           {"no parameter named \"nope\""});
}

TEST_CASE("nn.ModuleList: holds modules and registers their parameters") {
  struct Stack : Module {
    std::shared_ptr<ModuleList> blocks;
    Stack() : Module("Stack") {
      blocks = register_module("blocks", ModuleList{Linear(3, 3), Linear(3, 3)});
      blocks->append(Linear(3, 3));
    }
    using Module::forward;
    Tensor forward(const Tensor& x) override {
      Tensor h = x;
      for (const auto& b : *blocks) h = tanh((*b)(h)) + h;
      return h;
    }
  };
  manual_seed(21);
  Stack s;
  CHECK(s.blocks->size() == 3);
  CHECK(s.named_parameters()[4].first == "blocks.2.weight");
  CHECK(s.num_parameters() == 3 * 12);
  CHECK(s(randn({2, 3})).shape() == Shape{2, 3});
  check_throws<GraphError>([&] { (*s.blocks)(zeros({2, 3})); }, {"ModuleList", "forward"});
  check_throws<ValueError>([&] { (*s.blocks)[3]; }, {"ModuleList", "3"});
  CHECK(s.blocks->at<Linear>(1)->in_features == 3);
}

// ---- printing ----------------------------------------------------------------------------

TEST_CASE("nn.module: repr matches PyTorch's print format") {
  // print(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))) in PyTorch 1.13, with
  // Python's True spelled as C++'s true (as libtorch prints it).
  Sequential model{Linear(4, 8), ReLU(), Linear(8, 2)};
  CHECK(model.repr() ==
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=8, bias=true)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=8, out_features=2, bias=true)\n"
        ")");
  std::ostringstream os;
  os << model;
  CHECK(os.str() == model.repr());
  // A custom module holding a Sequential (nested indentation), as PyTorch prints
  //   class Tower(nn.Module): layers = Sequential(Linear(4, 8), Tanh(), Linear(8, 6));
  //                           head = Linear(6, 2, bias=False)
  CHECK(Tower().repr() ==
        "Tower(\n"
        "  (layers): Sequential(\n"
        "    (0): Linear(in_features=4, out_features=8, bias=true)\n"
        "    (1): Tanh()\n"
        "    (2): Linear(in_features=8, out_features=6, bias=true)\n"
        "  )\n"
        "  (head): Linear(in_features=6, out_features=2, bias=false)\n"
        ")");
}
