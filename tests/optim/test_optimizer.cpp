// The Optimizer base through the concrete optimizers: parameter groups and skipped
// parameters against torch.optim, zero_grad, the learning-rate and option accessors, the
// parameter checks, state_dict / load_state_dict and bit-identical resume through files.
// Expected tables were produced with PyTorch 1.13 by the script in optim_test_util.hpp,
// with `make` replaced by the call in the comment above each table and, where said,
// b.grad = None instead of the rule at the steps named (1-based).
#include <unistd.h>

#include <filesystem>
#include <string>

#include "optim_test_util.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/nn/safetensors.hpp"
#include "xgrad/nn/serialize.hpp"

namespace {

using namespace xg::test::optim;
using xg::DtypeError;
using xg::ShapeError;
using xg::Tensor;
using xg::ValueError;
using xg::optim::Adagrad;
using xg::optim::Adam;
using xg::optim::AdamW;
using xg::optim::Optimizer;
using xg::optim::RMSprop;
using xg::optim::SGD;
using xg::test::check_throws;
// torch.optim.SGD([{'params': [w], 'lr': 0.1, 'momentum': 0.9, 'weight_decay': 0.01}, {'params':
// [b], 'lr': 0.05}], lr=0.05)
const Rows kSgdGroups = {
    {0.4445, -1.2478, 1.958, -0.06333000000000001, -0.6605, 1.45625},
    {0.4007705, -1.3020282, 1.7903419999999999, -0.09529737000000002, -0.6448825, 1.472609375},
    {0.26899006449999996, -1.4255721158, 1.6681423579999999, -0.29348999493000005, -0.5923116125,
     1.3889278515625},
    {0.13804898055049997, -1.5663475102202, 1.4790874199419999, -0.4482859679297701,
     -0.5700807060624999, 1.381455531933594},
    {0.07592248659888448, -1.685305967892564, 1.1435045172727578, -0.40284260118935866,
     -0.5726278813503124, 1.43800189310376},
    {0.01565504495786513, -1.82563939318765, 0.7861611744895294, -0.3217280423909695,
     -0.5518359055030515, 1.4324068883710006},
};
// torch.optim.Adam([{'params': [w], 'lr': 0.05, 'weight_decay': 0.1, 'amsgrad': True}, {'params':
// [b], 'lr': 0.02, 'betas': (0.8, 0.9)}])
const Rows kAdamGroups = {
    {0.4500000008333333, -1.2499999986486485, 1.9500000008333334, -0.01999999946581197,
     -0.6800000002531645, 1.4800000002285714},
    {0.4177558638418287, -1.2834861544159861, 1.9028944532111611, -0.033069729730108244,
     -0.6620475962013073, 1.4735771191116345},
    {0.37747510068186607, -1.3241477442467215, 1.8676782205039428, -0.06568224617054978,
     -0.6432866431505087, 1.4593820110927},
    {0.3401233753016291, -1.3628399240241043, 1.8275494465316662, -0.09254165121271395,
     -0.6250269975271141, 1.4472008710346604},
    {0.3210191968075867, -1.3856623951985187, 1.784397597841906, -0.09518188760073078,
     -0.6103908285569938, 1.4456781744277323},
    {0.3015727512809538, -1.4099269576392344, 1.740387845067791, -0.09673772626869365,
     -0.5950528123785164, 1.443747436418206},
};
// torch.optim.Adam([w, b], lr=0.05), with b.grad = None at steps 2 and 3
const Rows kAdamSkip = {
    {0.4500000009090909, -1.2499999989795918, 1.95000000125, -0.01999999946409431,
     -0.6500000006329114, 1.4500000005714286},
    {0.42109779974496364, -1.291663580544377, 1.904473436421814, -0.033089560434649785,
     -0.6500000006329114, 1.4500000005714286},
    {0.38221982766726303, -1.336101618077036, 1.8756977184016448, -0.06572757101304408,
     -0.6500000006329114, 1.4500000005714286},
    {0.34657095185569226, -1.3796393032491217, 1.8401268155980013, -0.09271266138321377,
     -0.6019787999634216, 1.4106036785899352},
    {0.33045663772375505, -1.4134311155882684, 1.799769734052692, -0.09554313906335658,
     -0.5658623112183458, 1.4169074179347894},
    {0.3140488784483799, -1.4489385770789325, 1.7582281304710945, -0.09735683589126135,
     -0.5270337442335012, 1.4198189018307925},
};
// torch.optim.SGD([w, b], lr=0.1, momentum=0.9), with b.grad = None at steps 1 and 4
const Rows kSgdSkip = {
    {0.445, -1.2489999999999999, 1.96, -0.06330000000000001, -0.7, 1.5},
    {0.40215, -1.30558, 1.796, -0.09530700000000002, -0.6659999999999999, 1.5325},
    {0.2715205, -1.4326136, 1.6786, -0.29362953, -0.5287799999999999, 1.3940875},
    {0.14180833499999998, -1.578096112, 1.49501, -0.44882055870000004, -0.5287799999999999,
     1.3940875},
    {0.08081313644999998, -1.70309229504, 1.1650284999999998, -0.404122223073, -0.4132673999999999,
     1.3825458124999999},
    {0.021493063661499983, -1.8509007056768, 0.8127937249999998, -0.32394027647067,
     -0.2788773419999999, 1.3612455646875},
};

// Runs the standard problem with b's gradient left undefined at the given 0-based steps.
Rows run_with_skips(Optimizer& opt, Problem& pr, const std::vector<std::size_t>& skip_b) {
  Rows rows;
  for (std::size_t t = 0; t < kS.size(); ++t) {
    set_grads(pr, t);
    if (std::find(skip_b.begin(), skip_b.end(), t) != skip_b.end()) pr.b.zero_grad();
    opt.step();
    rows.push_back(values(pr));
  }
  return rows;
}

void check_rows(const Rows& got, const Rows& expected) {
  REQUIRE(got.size() == expected.size());
  double worst = 0;
  for (std::size_t t = 0; t < got.size(); ++t) {
    worst = std::max(worst, check_row(got[t], expected[t], t, 1e-12, false));
  }
  MESSAGE("largest relative deviation from torch.optim: " << worst);
}

}  // namespace

TEST_CASE("Optimizer: parameter groups with their own options match torch") {
  Problem pr = make_problem(xg::f64);
  SGD sgd({{.params = {pr.w}, .options = {.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01}},
           {.params = {pr.b}, .options = {.lr = 0.05}}});
  CHECK(sgd.num_param_groups() == 2);
  CHECK(sgd.lr(0) == 0.1);
  CHECK(sgd.lr(1) == 0.05);
  CHECK(sgd.options(1).momentum == 0.0);
  check_rows(run_with_skips(sgd, pr, {}), kSgdGroups);

  Problem pa = make_problem(xg::f64);
  Adam adam({{.params = {pa.w}, .options = {.lr = 0.05, .weight_decay = 0.1, .amsgrad = true}},
             {.params = {pa.b}, .options = {.lr = 0.02, .betas = {0.8, 0.9}}}});
  check_rows(run_with_skips(adam, pa, {}), kAdamGroups);
}

TEST_CASE("Optimizer: a parameter without a gradient is skipped, as in torch") {
  Problem pa = make_problem(xg::f64);
  Adam adam(pa.params(), {.lr = 0.05});
  check_rows(run_with_skips(adam, pa, {1, 2}), kAdamSkip);
  // Its step count did not advance on the skipped steps.
  const auto sd = adam.state_dict();
  CHECK(sd.at("state.0.step").item() == 6);
  CHECK(sd.at("state.1.step").item() == 4);

  Problem ps = make_problem(xg::f64);
  SGD sgd(ps.params(), {.lr = 0.1, .momentum = 0.9});
  check_rows(run_with_skips(sgd, ps, {0, 3}), kSgdSkip);

  // Never a gradient: never touched, and no state.
  Problem pn = make_problem(xg::f64);
  Tensor unused = xg::ones({3}, {.dtype = xg::f64, .requires_grad = true});
  RMSprop rms({pn.w, unused, pn.b}, {.momentum = 0.5});
  for (std::size_t t = 0; t < 3; ++t) {
    set_grads(pn, t);
    rms.step();
  }
  CHECK(unused.to_vector<double>() == std::vector<double>{1, 1, 1});
  const auto rd = rms.state_dict();
  CHECK(rd.count("state.0.square_avg") == 1);
  CHECK(rd.count("state.1.square_avg") == 0);
  CHECK(rd.count("state.1.step") == 0);
  CHECK(rd.count("state.2.momentum_buffer") == 1);
}

TEST_CASE("Optimizer: step updates in place without recording a graph") {
  Problem pr = make_problem(xg::f64);
  Adam opt(pr.params(), {.lr = 0.1});
  const double* storage = pr.w.data<double>().data();
  set_grads(pr, 0);
  opt.step();
  CHECK(pr.w.data<double>().data() == storage);
  CHECK(pr.w.is_leaf());
  CHECK(pr.w.grad_fn_name().empty());
  CHECK(pr.w.requires_grad());
  // Gradients are left alone by step().
  CHECK(pr.w.grad().defined());
}

TEST_CASE("Optimizer: zero_grad") {
  Problem pr = make_problem(xg::f64);
  SGD opt(pr.params(), {.lr = 0.1});
  set_grads(pr, 0);
  opt.zero_grad(/*set_to_none=*/false);
  REQUIRE(pr.w.grad().defined());
  CHECK(pr.w.grad().to_vector<double>() == std::vector<double>(4, 0.0));
  CHECK(pr.b.grad().to_vector<double>() == std::vector<double>(2, 0.0));
  opt.zero_grad();  // PyTorch's default: set_to_none
  CHECK(!pr.w.grad().defined());
  CHECK(!pr.b.grad().defined());
  opt.step();  // nothing to do
  CHECK(values(pr) == std::vector<double>{0.5, -1.2, 2.0, 0.03, -0.7, 1.5});
}

TEST_CASE("Optimizer: learning rate and options by name") {
  Problem pr = make_problem(xg::f64);
  SGD opt({{.params = {pr.w}, .options = {.lr = 0.1, .momentum = 0.9}},
           {.params = {pr.b}, .options = {.lr = 0.2}}});
  opt.set_lr(0.05, 1);
  CHECK(opt.lr(0) == 0.1);
  CHECK(opt.lr(1) == 0.05);
  opt.set_lr(0.3);
  CHECK(opt.lr(0) == 0.3);
  CHECK(opt.lr(1) == 0.3);
  CHECK(opt.options(1).lr == 0.3);
  CHECK(opt.has_option("momentum"));
  CHECK(!opt.has_option("beta1"));
  CHECK(opt.option("momentum", 0) == 0.9);
  CHECK(opt.option("nesterov", 0) == 0.0);
  opt.set_option("nesterov", 1, 0);
  CHECK(opt.options(0).nesterov);
  // A bad value changes nothing, in any group.
  check_throws<ValueError>([&] { opt.set_lr(-1.0); }, {"SGD", "invalid lr = -1"});
  CHECK(opt.lr(0) == 0.3);
  CHECK(opt.lr(1) == 0.3);
  // nesterov needs momentum in group 1.
  check_throws<ValueError>([&] { opt.set_option("nesterov", 1, 1); }, {"SGD", "nesterov"});
  CHECK(!opt.options(1).nesterov);
  check_throws<ValueError>([&] { opt.lr(2); }, {"SGD", "parameter group 2", "2 groups"});
  check_throws<ValueError>([&] { opt.set_lr(0.1, 5); }, {"SGD", "parameter group 5"});
  check_throws<ValueError>([&] { opt.set_options({.lr = -2}, 0); }, {"SGD", "lr = -2"});
  // Every optimizer lists its options.
  Problem q = make_problem(xg::f64);
  CHECK(RMSprop(q.params()).option_names() ==
        std::vector<std::string>{"lr", "alpha", "eps", "weight_decay", "momentum", "centered"});
  CHECK(Adagrad(q.params()).option_names() ==
        std::vector<std::string>{"lr", "lr_decay", "weight_decay", "initial_accumulator_value",
                                 "eps"});
  CHECK(AdamW(q.params()).option("weight_decay") == 1e-2);
}

TEST_CASE("Optimizer: parameter checks") {
  Tensor a = xg::ones({2, 3}, {.dtype = xg::f64, .requires_grad = true});
  Tensor b = xg::ones({4}, {.dtype = xg::f64, .requires_grad = true});
  // A parameter that does not require grad is accepted (frozen; see test_frozen_params.cpp).
  Tensor frozen = xg::ones({3, 4}, {.dtype = xg::f64});
  CHECK(SGD({a, frozen}, {.lr = 0.1}).all_params().size() == 2);
  Tensor made = a * 2.0;
  check_throws<ValueError>([&] { Adam opt({made}); },
                           {"Adam", "parameter 0", "(2, 3)", "not a leaf", "mul"});
  check_throws<ValueError>([&] { Adam opt({a, Tensor()}); }, {"Adam", "parameter 1", "undefined"});
  check_throws<ValueError>(
      [&] {
        SGD opt({a, b, a}, {.lr = 0.1});
      },
      {"SGD", "parameter 2", "(2, 3)", "already parameter 0 of group 0"});
  check_throws<ValueError>(
      [&] {
        SGD opt(
            {{.params = {a}, .options = {.lr = 0.1}}, {.params = {b, a}, .options = {.lr = 0.1}}});
      },
      {"SGD", "parameter 1 of group 1", "already parameter 0 of group 0", "only once"});
  check_throws<ValueError>(
      [&] {
        SGD opt({{.params = {a}, .options = {.lr = 0.1}}, {.params = {}, .options = {.lr = 0.1}}});
      },
      {"SGD: parameter group 1 got an empty parameter list"});
  // add_param_group checks the same way, and adds nothing on failure.
  SGD opt({a}, {.lr = 0.1});
  check_throws<ValueError>(
      [&] {
        opt.add_param_group({.params = {b, a}, .options = {.lr = 0.1}});
      },
      {"SGD", "already parameter 0 of group 0"});
  check_throws<ValueError>([&] { opt.add_param_group({.params = {b}, .options = {.lr = -0.1}}); },
                           {"SGD", "invalid lr = -0.1"});
  CHECK(opt.num_param_groups() == 1);
  opt.add_param_group({.params = {b}, .options = {.lr = 0.01, .momentum = 0.5}});
  CHECK(opt.num_param_groups() == 2);
  CHECK(opt.params(1).size() == 1);
  CHECK(opt.all_params().size() == 2);
  CHECK(opt.option("momentum", 1) == 0.5);
}

TEST_CASE("Optimizer: state_dict holds options, steps and buffers as copies") {
  Problem pr = make_problem(xg::f64);
  Adam opt({{.params = {pr.w}, .options = {.lr = 0.05, .amsgrad = true}},
            {.params = {pr.b}, .options = {.lr = 0.01}}});
  for (std::size_t t = 0; t < 2; ++t) {
    set_grads(pr, t);
    opt.step();
  }
  const auto sd = opt.state_dict();
  std::vector<std::string> keys;
  for (const auto& [k, v] : sd) keys.push_back(k);
  CHECK(keys == std::vector<std::string>{"param_groups.0.amsgrad",
                                         "param_groups.0.beta1",
                                         "param_groups.0.beta2",
                                         "param_groups.0.eps",
                                         "param_groups.0.lr",
                                         "param_groups.0.params",
                                         "param_groups.0.weight_decay",
                                         "param_groups.1.amsgrad",
                                         "param_groups.1.beta1",
                                         "param_groups.1.beta2",
                                         "param_groups.1.eps",
                                         "param_groups.1.lr",
                                         "param_groups.1.params",
                                         "param_groups.1.weight_decay",
                                         "state.0.exp_avg",
                                         "state.0.exp_avg_sq",
                                         "state.0.max_exp_avg_sq",
                                         "state.0.step",
                                         "state.1.exp_avg",
                                         "state.1.exp_avg_sq",
                                         "state.1.step"});
  CHECK(sd.at("param_groups.0.lr").item() == 0.05);
  CHECK(sd.at("param_groups.0.lr").dim() == 0);
  CHECK(sd.at("param_groups.0.amsgrad").item() == 1.0);
  CHECK(sd.at("param_groups.1.params").to_vector<std::int64_t>() == std::vector<std::int64_t>{1});
  CHECK(sd.at("state.0.step").item() == 2.0);
  CHECK(sd.at("state.0.exp_avg").shape() == xg::Shape{2, 2});
  // A copy: writing into it does not touch the optimizer.
  Tensor m = sd.at("state.1.exp_avg");
  m.mutable_data<double>()[0] = 1e6;
  CHECK(opt.state_dict().at("state.1.exp_avg").to_vector<double>()[0] != 1e6);
}

TEST_CASE("Optimizer: load_state_dict checks everything before changing anything") {
  Problem pr = make_problem(xg::f64);
  Adam opt(pr.params(), {.lr = 0.05});
  set_grads(pr, 0);
  opt.step();
  const auto good = opt.state_dict();

  Problem fresh_pr = make_problem(xg::f64);
  Adam fresh(fresh_pr.params(), {.lr = 0.3});
  auto expect_unchanged = [&] {
    CHECK(fresh.lr() == 0.3);
    CHECK(fresh.state_dict().count("state.0.step") == 0);
  };
  {
    auto bad = good;
    bad.erase("state.1.exp_avg_sq");
    check_throws<ValueError>([&] { fresh.load_state_dict(bad); },
                             {"Adam.load_state_dict", "missing key 'state.1.exp_avg_sq'"});
    expect_unchanged();
  }
  {
    auto bad = good;
    bad.erase("param_groups.0.eps");
    check_throws<ValueError>([&] { fresh.load_state_dict(bad); },
                             {"Adam.load_state_dict", "missing key 'param_groups.0.eps'"});
  }
  {
    auto bad = good;
    bad["state.0.momentum_buffer"] = xg::zeros({2, 2}, {.dtype = xg::f64});
    check_throws<ValueError>([&] { fresh.load_state_dict(bad); },
                             {"Adam.load_state_dict", "unexpected key 'state.0.momentum_buffer'"});
    expect_unchanged();
  }
  {
    auto bad = good;
    bad["state.0.exp_avg"] = xg::zeros({4}, {.dtype = xg::f64});
    check_throws<ShapeError>([&] { fresh.load_state_dict(bad); },
                             {"Adam.load_state_dict", "'state.0.exp_avg'", "(4)", "(2, 2)"});
    expect_unchanged();
  }
  {
    auto bad = good;
    bad["state.1.exp_avg"] = xg::tensor_i64({1, 2});
    check_throws<DtypeError>([&] { fresh.load_state_dict(bad); }, {"'state.1.exp_avg'", "i64"});
  }
  {
    auto bad = good;
    bad["state.0.step"] = xg::scalar_tensor(1.5, {.dtype = xg::f64});
    check_throws<ValueError>([&] { fresh.load_state_dict(bad); },
                             {"'state.0.step'", "non-negative integer", "1.5"});
  }
  {
    auto bad = good;
    bad["param_groups.0.beta1"] = xg::scalar_tensor(1.0, {.dtype = xg::f64});
    check_throws<ValueError>([&] { fresh.load_state_dict(bad); },
                             {"Adam.load_state_dict", "parameter group 0", "betas[0] = 1"});
    expect_unchanged();
  }
  {
    auto bad = good;
    bad["param_groups.0.params"] = xg::tensor_i64({0, 1, 2});
    check_throws<ValueError>([&] { fresh.load_state_dict(bad); },
                             {"'param_groups.0.params'", "lists 3 parameters", "has 2"});
  }
  // An SGD state does not load into Adam: its keys are not Adam's.
  {
    Problem q = make_problem(xg::f64);
    SGD sgd(q.params(), {.lr = 0.1, .momentum = 0.9});
    set_grads(q, 0);
    sgd.step();
    check_throws<ValueError>([&] { fresh.load_state_dict(sgd.state_dict()); },
                             {"Adam.load_state_dict", "missing key 'param_groups.0.beta1'"});
  }
  // A different grouping does not load either.
  {
    Problem q = make_problem(xg::f64);
    Adam two({{.params = {q.w}, .options = {}}, {.params = {q.b}, .options = {}}});
    check_throws<ValueError>([&] { fresh.load_state_dict(two.state_dict()); },
                             {"Adam.load_state_dict", "'param_groups.0.params'", "lists 1"});
  }
  fresh.load_state_dict(good);
  CHECK(fresh.lr() == 0.05);
  CHECK(fresh.state_dict().at("state.0.step").item() == 1);
  // The loaded buffers are the optimizer's own: the dict it came from is untouched by steps.
  const auto before = good.at("state.0.exp_avg").to_vector<double>();
  set_grads(fresh_pr, 1);
  fresh.step();
  CHECK(good.at("state.0.exp_avg").to_vector<double>() == before);
}

namespace {

// A small model for the resume tests: Linear(3, 4) -> tanh -> Linear(4, 2).
struct Net : xg::nn::Module {
  std::shared_ptr<xg::nn::Linear> fc1, fc2;
  Net() : Module("Net") {
    fc1 = register_module("fc1", xg::nn::Linear(3, 4));
    fc2 = register_module("fc2", xg::nn::Linear(4, 2));
  }
  Tensor forward(const Tensor& x) override { return (*fc2)(xg::tanh((*fc1)(x))); }
};

void train_steps(Net& net, Optimizer& opt, const Tensor& x, const Tensor& y, int n) {
  for (int i = 0; i < n; ++i) {
    opt.zero_grad();
    const Tensor d = net(x) - y;
    (d * d).mean().backward();
    opt.step();
  }
}

std::vector<double> flat_params(const Net& net) {
  std::vector<double> out;
  for (const auto& p : net.parameters()) {
    const auto v = p.to_vector<double>();
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

using MakeFor = std::function<std::unique_ptr<Optimizer>(std::vector<Tensor>, bool fresh)>;

// 10 steps in one go == 5 steps, save model and optimizer to files, load both into FRESH
// objects (a model drawn from another seed, an optimizer built with other options), 5 more
// steps: the parameters must be bit-identical.
void check_resume(const MakeFor& make, xg::Dtype dtype) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid());
  const auto model_path = dir / ("xgrad_optim_resume_model_" + tag + ".safetensors");
  const auto opt_path = dir / ("xgrad_optim_resume_opt_" + tag + ".safetensors");
  xg::manual_seed(7);
  const Tensor x = xg::randn({8, 3}, {.dtype = dtype});
  const Tensor y = xg::randn({8, 2}, {.dtype = dtype});

  xg::manual_seed(1);
  Net straight;
  straight.to(dtype);
  auto opt_straight = make(straight.parameters(), false);
  train_steps(straight, *opt_straight, x, y, 10);

  xg::manual_seed(1);
  Net first;
  first.to(dtype);
  auto opt_first = make(first.parameters(), false);
  train_steps(first, *opt_first, x, y, 5);
  xg::nn::save(first, model_path);
  xg::nn::save_tensors(opt_first->state_dict(), opt_path);

  xg::manual_seed(2);
  Net resumed;
  resumed.to(dtype);
  auto opt_resumed = make(resumed.parameters(), true);
  xg::nn::load(resumed, model_path);
  opt_resumed->load_state_dict(xg::nn::load_tensors(opt_path));
  train_steps(resumed, *opt_resumed, x, y, 5);
  std::filesystem::remove(model_path);
  std::filesystem::remove(opt_path);

  INFO(opt_straight->name() << " in " << xg::dtype_name(dtype));
  const auto a = flat_params(straight);
  const auto b = flat_params(resumed);
  CHECK(a == b);
  CHECK(a != flat_params(first));  // the last 5 steps did move the parameters
}

}  // namespace

TEST_CASE("Optimizer: resume from files is bit-identical, for every optimizer") {
  for (const xg::Dtype dtype : {xg::f64, xg::f32}) {
    check_resume(
        [](std::vector<Tensor> p, bool fresh) {
          return std::make_unique<SGD>(std::move(p), xg::optim::SGDOptions{.lr = fresh ? 1.0 : 0.05,
                                                                           .momentum = 0.9,
                                                                           .dampening = 0.1,
                                                                           .weight_decay = 0.01});
        },
        dtype);
    check_resume(
        [](std::vector<Tensor> p, bool fresh) {
          return std::make_unique<SGD>(std::move(p),
                                       xg::optim::SGDOptions{.lr = 0.05,
                                                             .momentum = fresh ? 0.0 : 0.9,
                                                             .weight_decay = 0.01,
                                                             .nesterov = !fresh});
        },
        dtype);
    check_resume(
        [](std::vector<Tensor> p, bool fresh) {
          return std::make_unique<Adam>(
              std::move(p),
              xg::optim::AdamOptions{.lr = 0.01, .weight_decay = 0.01, .amsgrad = !fresh});
        },
        dtype);
    check_resume(
        [](std::vector<Tensor> p, bool fresh) {
          return std::make_unique<AdamW>(
              std::move(p), xg::optim::AdamWOptions{
                                .lr = fresh ? 0.5 : 0.01, .betas = {0.8, 0.99}, .amsgrad = true});
        },
        dtype);
    check_resume(
        [](std::vector<Tensor> p, bool fresh) {
          return std::make_unique<RMSprop>(
              std::move(p),
              xg::optim::RMSpropOptions{
                  .lr = 0.01, .weight_decay = 0.01, .momentum = 0.5, .centered = !fresh});
        },
        dtype);
    check_resume(
        [](std::vector<Tensor> p, bool fresh) {
          return std::make_unique<Adagrad>(
              std::move(p),
              xg::optim::AdagradOptions{
                  .lr = 0.1, .lr_decay = fresh ? 0.0 : 0.01, .initial_accumulator_value = 0.1});
        },
        dtype);
  }
}

TEST_CASE("Optimizer: state follows the model to another dtype") {
  xg::manual_seed(3);
  Net net;
  Adam opt(net.parameters(), {.lr = 0.01});
  const Tensor x = xg::randn({4, 3});
  const Tensor y = xg::randn({4, 2});
  train_steps(net, opt, x, y, 2);
  CHECK(opt.state_dict().at("state.0.exp_avg").dtype() == xg::f32);
  net.to(xg::f64);
  train_steps(net, opt, x.to(xg::f64), y.to(xg::f64), 2);
  CHECK(opt.state_dict().at("state.0.exp_avg").dtype() == xg::f64);
  CHECK(opt.state_dict().at("state.0.step").item() == 4);
}
