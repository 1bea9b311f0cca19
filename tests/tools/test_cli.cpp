// Tests of the `xgrad` command's helpers (tools/xgrad/): model specs and their metadata,
// data specs, progress formatting, optimizer flags, the training step's regularisers and
// the evaluation. The program itself is tested end to end by cli_test.sh.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support/check.hpp"
#include "tools/xgrad/commands.hpp"
#include "tools/xgrad/data_source.hpp"
#include "tools/xgrad/evaluation.hpp"
#include "tools/xgrad/model_spec.hpp"
#include "tools/xgrad/optimizer_factory.hpp"
#include "tools/xgrad/progress.hpp"
#include "tools/xgrad/training_util.hpp"
#include "xgrad/autograd/random.hpp"
#include "xgrad/nn/linear.hpp"
#include "xgrad/nn/serialize.hpp"

using namespace xg;
using namespace xg::cli;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("cli: parse_hidden and format_hidden") {
  CHECK(parse_hidden("256,128") == std::vector<std::int64_t>{256, 128});
  CHECK(parse_hidden("7") == std::vector<std::int64_t>{7});
  CHECK(parse_hidden("none").empty());
  CHECK(parse_hidden("").empty());
  CHECK(format_hidden({256, 128}) == "256,128");
  CHECK(format_hidden({}) == "none");
  for (const char* bad : {"256,", ",5", "0", "-3", "4,x", "1e3", "12 ", "99999999999"}) {
    CAPTURE(bad);
    test::check_throws<ValueError>([&] { parse_hidden(bad); }, {"--hidden", bad});
  }
}

TEST_CASE("cli: build_model layout, names and shapes") {
  ModelSpec spec{.inputs = 4,
                 .hidden = {8, 3},
                 .outputs = 2,
                 .activation = "tanh",
                 .dropout = 0.25,
                 .loss = "nll",
                 .normalize = "per-feature"};
  auto model = build_model(spec);
  // Standardize, (Linear, Tanh, Dropout) x 2, Linear, LogSoftmax
  CHECK(model->size() == 9);
  CHECK((*model)[1]->type_name() == "Linear");
  CHECK((*model)[2]->type_name() == "Tanh");
  CHECK((*model)[3]->type_name() == "Dropout");
  CHECK((*model)[8]->type_name() == "LogSoftmax");
  const auto state = model->state_dict();
  CHECK(state.at("0.mean").shape() == Shape{4});
  CHECK(state.at("0.scale").shape() == Shape{4});
  CHECK(state.at("1.weight").shape() == Shape{8, 4});
  CHECK(state.at("4.weight").shape() == Shape{3, 8});
  CHECK(state.at("7.weight").shape() == Shape{2, 3});
  CHECK(model->num_parameters() == 8 * 4 + 8 + 3 * 8 + 3 + 2 * 3 + 2);
  CHECK(spec.describe() == "4-8-3-2 tanh, dropout 0.25");

  spec.dropout = 0;
  spec.loss = "cross-entropy";
  spec.normalize = "global";
  spec.hidden = {};
  auto linear = build_model(spec);
  CHECK(linear->size() == 2);  // Standardize, Linear
  CHECK(linear->state_dict().at("0.mean").shape() == Shape{1});
}

TEST_CASE("cli: ModelSpec validation") {
  ModelSpec ok{.inputs = 2, .outputs = 2};
  ok.validate();
  auto expect = [](ModelSpec s, const char* fragment) {
    test::check_throws<ValueError>([&] { s.validate(); }, {fragment});
  };
  ModelSpec s = ok;
  s.activation = "swish";
  expect(s, "swish");
  s = ok;
  s.loss = "hinge";
  expect(s, "hinge");
  s = ok;
  s.dropout = 1.0;
  expect(s, "dropout");
  s = ok;
  s.dropout = NAN;
  expect(s, "dropout");
  s = ok;
  s.inputs = 0;
  expect(s, "inputs");
  s = ok;
  s.class_names = {"a", "b", "c"};
  expect(s, "3 class names");
}

TEST_CASE("cli: spec metadata round trip and bad metadata") {
  ModelSpec spec{.inputs = 784,
                 .hidden = {256, 128},
                 .outputs = 3,
                 .activation = "gelu",
                 .dropout = 0.5,
                 .loss = "mse",
                 .normalize = "none",
                 .class_names = {"cat", "dog", "bird"}};
  const ModelSpec back = spec_from_json(spec_to_json(spec), "m.safetensors");
  CHECK(back.inputs == 784);
  CHECK(back.hidden == spec.hidden);
  CHECK(back.outputs == 3);
  CHECK(back.activation == "gelu");
  CHECK(back.dropout == 0.5);
  CHECK(back.loss == "mse");
  CHECK(back.normalize == "none");
  CHECK(back.class_names == spec.class_names);

  test::check_throws<FormatError>([] { spec_from_json("{not json", "m.safetensors"); },
                                  {"m.safetensors", "xgrad.model"});
  test::check_throws<FormatError>(
      [] { spec_from_json(R"({"inputs": 2, "hidden": [], "outputs": 2})", "f"); },
      {"f:", "activation"});
  test::check_throws<FormatError>(
      [] {
        spec_from_json(R"({"inputs": 2, "hidden": [0], "outputs": 2, "activation": "relu",
                           "loss": "nll", "normalize": "global"})",
                       "f");
      },
      {"hidden sizes"});
  test::check_throws<FormatError>(
      [] {
        spec_from_metadata({{"other", "x"}}, "plain.safetensors");
      },
      {"plain.safetensors", "xgrad train --save"});
}

TEST_CASE("cli: Standardize applies (x - mean) / scale") {
  Standardize layer(tensor({1.0, 2.0}, {2}), tensor({2.0, 4.0}, {2}));
  const Tensor y = layer(tensor({3.0, 6.0, 1.0, 2.0}, {2, 2}));
  test::check_values(y, {1.0, 1.0, 0.0, 0.0});
  layer.set(tensor({0.0, 0.0}, {2}, {.dtype = Dtype::f64}),
            tensor({1.0, 0.5}, {2}, {.dtype = Dtype::f64}));
  test::check_values(layer(tensor({3.0, 6.0}, {1, 2})), {3.0, 12.0});
  CHECK(layer.mean().dtype() == Dtype::f32);  // set() keeps the buffer's dtype
  test::check_throws<ShapeError>([&] { layer.set(zeros({3}), ones({3})); },
                                 {"Standardize", "(2)", "(3)"});
}

TEST_CASE("cli: parse_data_spec forms and errors") {
  CHECK(parse_data_spec("fashion-mnist").kind == "fashion-mnist");
  CHECK(parse_data_spec("Fashion_MNIST").kind == "fashion-mnist");
  CHECK(parse_data_spec("mnist").kind == "mnist");
  CHECK(parse_data_spec("spirals").generated());
  CHECK(!parse_data_spec("mnist").generated());
  const DataSpec idx = parse_data_spec("idx:a.gz,b.gz");
  CHECK(idx.kind == "idx");
  CHECK(idx.paths == std::vector<std::string>{"a.gz", "b.gz"});
  CHECK(parse_data_spec("idx:a,b,c,d").paths.size() == 4);
  const DataSpec csv = parse_data_spec("csv:/tmp/My File.csv");
  CHECK(csv.kind == "csv");
  CHECK(csv.paths == std::vector<std::string>{"/tmp/My File.csv"});
  test::check_throws<ValueError>([] { parse_data_spec("cifar"); }, {"'cifar'", "unknown data set"});
  test::check_throws<ValueError>([] { parse_data_spec("idx:a,b,c"); }, {"2 or 4", "got 3"});
  test::check_throws<ValueError>([] { parse_data_spec("csv:a,,b"); }, {"empty file name"});
  test::check_throws<ValueError>([] { parse_data_spec("hdf5:x"); }, {"hdf5:"});
}

TEST_CASE("cli: generated data loads with a test split and stores its options") {
  const DataOptions opt{.samples = 100, .seed = 3};
  const LoadedData d =
      load_data(parse_data_spec("blobs"), {.samples = 100, .centers = 4, .seed = 3});
  CHECK(d.train.size() == 80);
  CHECK(d.test.size() == 20);
  CHECK(d.num_classes == 4);
  CHECK(d.features() == 2);
  CHECK(data_shape(parse_data_spec("blobs"), {.centers = 5}).classes == 5);
  CHECK(data_shape(parse_data_spec("fashion-mnist"), {}).features == 784);
  // The same options give the same test part.
  const LoadedData again =
      load_data(parse_data_spec("blobs"), {.samples = 100, .centers = 4, .seed = 3});
  CHECK(again.test.features().to_vector<float>() == d.test.features().to_vector<float>());

  DataSpec spec;
  DataOptions back;
  data_from_json(data_to_json(parse_data_spec("xor"), {.samples = 64, .noise = 0.3, .seed = 9}),
                 "m", spec, back);
  CHECK(spec.kind == "xor");
  CHECK(back.samples == 64);
  CHECK(back.noise.value() == 0.3);
  CHECK(back.seed == 9);
  test::check_throws<FormatError>([&] { data_from_json("[]", "m.safetensors", spec, back); },
                                  {"m.safetensors", "xgrad.data"});
  test::check_throws<ValueError>([&] { load_data(parse_data_spec("xor"), {.samples = 2}); },
                                 {"--samples"});
  test::check_throws<ValueError>([&] { load_data(parse_data_spec("xor"), {.test_fraction = 1.0}); },
                                 {"--test-fraction"});
  (void)opt;
}

TEST_CASE("cli: stored data options are bounded before any data is generated") {
  DataSpec spec;
  DataOptions opt;
  const auto stored = [](const std::string& dataset, const std::string& samples,
                         const std::string& centers, const std::string& fraction) {
    return R"({"dataset":")" + dataset + R"(","samples":)" + samples + R"(,"centers":)" + centers +
           R"(,"test_fraction":)" + fraction + R"(,"seed":0})";
  };
  test::check_throws<FormatError>(
      [&] { data_from_json(stored("xor", "10000000000", "3", "0.2"), "m.safetensors", spec, opt); },
      {"m.safetensors", "xgrad.data", "samples", "10000000000"});
  test::check_throws<FormatError>(
      [&] { data_from_json(stored("xor", "2", "3", "0.2"), "m.safetensors", spec, opt); },
      {"m.safetensors", "xgrad.data", "samples", "2"});
  test::check_throws<FormatError>(
      [&] { data_from_json(stored("blobs", "100", "1000000000", "0.2"), "m", spec, opt); },
      {"m:", "xgrad.data", "centers", "1000000000"});
  test::check_throws<FormatError>(
      [&] { data_from_json(stored("blobs", "100", "3", "7"), "m", spec, opt); },
      {"m:", "xgrad.data", "test_fraction", "7"});
  // The same bounds for the command-line options.
  test::check_throws<ValueError>(
      [] { load_data(parse_data_spec("xor"), {.samples = 10'000'000'000}); }, {"--samples"});
  test::check_throws<ValueError>(
      [] { load_data(parse_data_spec("blobs"), {.samples = 100, .centers = 1'000'000'000}); },
      {"--centers"});
}

TEST_CASE("cli: eval checks the model description against the file's tensors first") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("xgrad-cli-eval-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const ModelSpec small{.inputs = 2, .hidden = {3}, .outputs = 2};
  const auto model = build_model(small);
  const std::string data = data_to_json(parse_data_spec("xor"), {.samples = 40});
  // The small model's tensors under the metadata of another spec.
  const auto file = [&](const ModelSpec& claimed, const std::string& name) {
    const std::string path = (dir / name).string();
    nn::save(*model, path, {{kModelKey, spec_to_json(claimed)}, {kDataKey, data}});
    return path;
  };
  const auto refused = [](const std::string& path, std::vector<std::string> fragments) {
    fragments.push_back(path);
    fragments.push_back(kModelKey);
    test::check_throws<FormatError>([&] { run_eval({.model = path}); }, fragments);
  };
  ModelSpec huge = small;
  huge.hidden = {1 << 24};  // 2^24 x 2 weights, were they built
  refused(file(huge, "huge.safetensors"), {"hidden[0]", "16777216", "\"1.weight\"", "(3, 2)"});
  ModelSpec classes = small;
  classes.outputs = 1 << 24;  // beyond the class bound, before any tensor is looked at
  refused(file(classes, "classes.safetensors"), {"16777216 classes", "at most 1000"});
  ModelSpec wide = small;
  wide.inputs = 1'000'000'000;
  refused(file(wide, "wide.safetensors"), {"inputs", "1000000000", "\"1.weight\""});
  ModelSpec deep = small;
  deep.hidden = std::vector<std::int64_t>(100'000, 3);  // 100001 Linear layers
  refused(file(deep, "deep.safetensors"), {"hidden", "100000", "6 tensors", "200004"});
  ModelSpec shallow = small;
  shallow.hidden = {};
  refused(file(shallow, "shallow.safetensors"), {"hidden", "6 tensors", "4"});
  ModelSpec per_feature = small;
  per_feature.normalize = "per-feature";  // "0.mean" would have shape (2), the file has (1)
  refused(file(per_feature, "normalize.safetensors"), {"normalize", "\"0.mean\"", "(1)", "(2)"});
  // Integer tensors where the model has floating-point ones.
  nn::StateDict ints = model->state_dict();
  ints["1.bias"] = tensor_i64({0, 0, 0}, {3});
  const std::string int_path = (dir / "ints.safetensors").string();
  nn::save_tensors(ints, int_path, {{kModelKey, spec_to_json(small)}, {kDataKey, data}});
  refused(int_path, {"\"1.bias\"", "floating point"});
  // The file as written evaluates.
  CHECK(run_eval({.model = file(small, "ok.safetensors")}) == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("cli: format_duration, format_rate, format_bar") {
  CHECK(format_duration(0) == "0.0s");
  CHECK(format_duration(4.25) == "4.2s");
  CHECK(format_duration(42.9) == "42s");
  CHECK(format_duration(185) == "3:05");
  CHECK(format_duration(3723) == "1:02:03");
  CHECK(format_duration(-1) == "--");
  CHECK(format_duration(NAN) == "--");
  CHECK(format_rate(812.4) == "812 samples/s");
  CHECK(format_rate(45123) == "45.1k samples/s");
  CHECK(format_rate(1.2e6) == "1.20M samples/s");
  CHECK(format_rate(INFINITY) == "-- samples/s");
  CHECK(format_bar(0.0, 5) == "[>    ]");
  CHECK(format_bar(0.5, 10) == "[=====>    ]");
  CHECK(format_bar(1.0, 4) == "[====]");
  CHECK(format_bar(7.0, 4) == "[====]");
  CHECK(format_bar(NAN, 3) == "[>  ]");
  CHECK(format_bar(0.5, 0).empty());
}

TEST_CASE("cli: progress line and epoch summary") {
  const ProgressState s{.epoch = 3,
                        .epochs = 10,
                        .batch = 50,
                        .batches = 100,
                        .samples = 6400,
                        .loss = 0.41234,
                        .elapsed = 2.0};
  const std::string line = format_progress(s, 10);
  CHECK(line == "epoch 3/10 [=====>    ]  50% 50/100  loss 0.4123  3.2k samples/s  ETA 2.0s");
  CHECK(format_progress(s, 0) == "epoch 3/10  50% 50/100  loss 0.4123  3.2k samples/s  ETA 2.0s");
  const ProgressState start{.epoch = 1, .epochs = 1, .batches = 10};
  CHECK(contains(format_progress(start, 0), "ETA --"));

  EpochSummary e{.epoch = 3,
                 .epochs = 10,
                 .train_loss = 0.30123,
                 .train_accuracy = 0.89123,
                 .val_loss = 0.33,
                 .val_accuracy = 0.8801,
                 .lr = 1e-3,
                 .seconds = 3.21};
  CHECK(format_epoch_summary(e) ==
        "epoch  3/10  train loss 0.3012 acc 89.12%  val loss 0.3300 acc 88.01%  lr 1.00e-03  3.2s");
  e.samples_per_second = 16940.0;
  e.eta = 22.4;
  CHECK(contains(format_epoch_summary(e), "  3.2s  16.9k samples/s  ETA 22s"));
  e.samples_per_second.reset();
  e.eta.reset();
  e.val_loss.reset();
  e.val_accuracy.reset();
  e.best = true;
  CHECK(format_epoch_summary(e) ==
        "epoch  3/10  train loss 0.3012 acc 89.12%  lr 1.00e-03  3.2s  *");
}

TEST_CASE("cli: ProgressReporter writes plain lines and summaries off a terminal") {
  std::ostringstream os;
  ProgressReporter p(os, /*terminal=*/false, /*plain_interval=*/0.0);
  p.start_epoch(1, 2, 4);
  p.update(1, 32, 0.5);
  p.update(4, 128, 0.4);  // the last batch: the summary follows instead
  p.end_epoch({.epoch = 1, .epochs = 2, .train_loss = 0.4, .train_accuracy = 0.5});
  const std::string text = os.str();
  CHECK(contains(text, "epoch 1/2  25% 1/4  loss 0.5000"));
  CHECK(!contains(text, "4/4"));
  CHECK(!contains(text, "\r"));
  CHECK(contains(text, "epoch 1/2  train loss 0.4000 acc 50.00%"));

  std::ostringstream tty;
  ProgressReporter t(tty, /*terminal=*/true);
  t.start_epoch(1, 1, 2);
  t.update(2, 64, 0.25);
  t.end_epoch({.epoch = 1, .epochs = 1});
  CHECK(contains(tty.str(), "\r"));
  CHECK(contains(tty.str(), "[=============================="));
}

TEST_CASE("cli: optimizer flags that do not fit give UsageError") {
  Tensor p = zeros({2}, {.requires_grad = true});
  auto make = [&](OptimOptions o) { return make_optimizer(o, {p}); };
  CHECK(make({.optimizer = "sgd"})->name() == "SGD");
  CHECK(make({.optimizer = "sgd"})->option("momentum") == 0.9);
  CHECK(make({.optimizer = "adamw"})->option("weight_decay") == 0.01);
  CHECK(make({.optimizer = "adam", .betas = "0.8,0.9"})->option("beta1") == 0.8);
  CHECK(make({.optimizer = "rmsprop", .momentum = 0.5})->option("momentum") == 0.5);
  CHECK(make({.optimizer = "adagrad"})->lr() == 0.01);
  test::check_throws<UsageError>([&] { make({.optimizer = "adam", .nesterov = true}); },
                                 {"--nesterov", "adam"});
  test::check_throws<UsageError>([&] { make({.optimizer = "sgd", .betas = "0.9,0.9"}); },
                                 {"--betas"});
  test::check_throws<UsageError>([&] { make({.optimizer = "adam", .momentum = 0.9}); },
                                 {"--momentum"});
  test::check_throws<UsageError>([&] { make({.optimizer = "sgd", .eps = 1e-3}); }, {"--eps"});
  test::check_throws<UsageError>(
      [&] { make({.optimizer = "sgd", .momentum = 0.0, .nesterov = true}); }, {"--nesterov"});
  test::check_throws<UsageError>([&] { make({.optimizer = "lbfgs"}); }, {"lbfgs"});
  CHECK(parse_betas("0.5,0.75") == std::array<double, 2>{0.5, 0.75});
  test::check_throws<UsageError>([] { parse_betas("0.9"); }, {"--betas", "'0.9'"});
  test::check_throws<UsageError>([] { parse_betas("0.9,x"); }, {"--betas"});
}

TEST_CASE("cli: optimizer defaults are the library's option structs") {
  Tensor p = zeros({2}, {.requires_grad = true});
  auto make = [&](const std::string& name) { return make_optimizer({.optimizer = name}, {p}); };
  const optim::RMSpropOptions rmsprop;
  const optim::AdamWOptions adamw;
  const optim::AdagradOptions adagrad;
  CHECK(make("adam")->lr() == optim::AdamOptions{}.lr);
  CHECK(make("adamw")->option("weight_decay") == adamw.weight_decay);
  CHECK(make("adamw")->option("beta2") == adamw.betas[1]);
  CHECK(make("rmsprop")->lr() == rmsprop.lr);
  CHECK(make("rmsprop")->option("eps") == rmsprop.eps);
  CHECK(make("rmsprop")->option("momentum") == rmsprop.momentum);
  CHECK(make("adagrad")->lr() == adagrad.lr);
  CHECK(make("adagrad")->option("eps") == adagrad.eps);
  // SGD's lr (the library has none) and momentum are the CLI's own.
  CHECK(make("sgd")->lr() == kSgdDefaultLr);
  CHECK(make("sgd")->option("momentum") == kSgdDefaultMomentum);
  CHECK(optimizer_names() ==
        std::vector<std::string>{"sgd", "adam", "adamw", "rmsprop", "adagrad"});
  // The help shows the same values.
  CHECK(defaults_help("lr") == "sgd 0.01; adam 0.001; adamw 0.001; rmsprop 0.01; adagrad 0.01");
  CHECK(defaults_help("weight-decay") == "sgd 0; adam 0; adamw 0.01; rmsprop 0; adagrad 0");
  CHECK(defaults_help("momentum") == "sgd 0.9; rmsprop 0");
  CHECK(defaults_help("eps") == "adam 1e-08; adamw 1e-08; rmsprop 1e-08; adagrad 1e-10");
  CHECK(defaults_help("betas") == "adam 0.9,0.999; adamw 0.9,0.999");
}

TEST_CASE("cli: max-norm rescales only rows above the limit") {
  Tensor w = tensor({3.0, 4.0, 0.3, 0.4}, {2, 2}, {.requires_grad = true});
  apply_max_norm({w}, 1.0);
  // Row 0 had norm 5 -> scaled to 1; row 1 had 0.5 and stays.
  test::check_values(w, {0.6, 0.8, 0.3, 0.4});
}

TEST_CASE("cli: train_step learns and penalties add to the objective") {
  manual_seed(1);
  ModelSpec spec{.inputs = 2, .hidden = {8}, .outputs = 2};
  auto model = build_model(spec);
  auto opt = make_optimizer({.optimizer = "adam", .lr = 0.05}, model->parameters());
  const LoadedData d = load_data(parse_data_spec("xor"), {.samples = 200, .seed = 1});
  const data::Batch all = d.train.range(0, d.train.size());
  const StepOptions step{.loss = "cross-entropy", .max_norm = 2.0};
  const double first = train_step(*model, *opt, all, step).loss;
  StepResult last;
  for (int i = 0; i < 150; ++i) last = train_step(*model, *opt, all, step);
  CHECK(last.ok);
  CHECK(last.loss < 0.5 * first);
  CHECK(static_cast<double>(last.correct) / last.samples > 0.9);
  for (const auto& w : weight_matrices(*model)) {  // max-norm held after each step
    const auto v = w.to_vector<float>();
    const std::int64_t cols = w.shape()[1];
    for (std::int64_t r = 0; r < w.shape()[0]; ++r) {
      double sq = 0;
      for (std::int64_t c = 0; c < cols; ++c) sq += v[r * cols + c] * v[r * cols + c];
      CHECK(std::sqrt(sq) <= doctest::Approx(2.0).epsilon(1e-5));
    }
  }
  // A NaN input gives a non-finite loss: reported, parameters untouched.
  const auto before = model->state_dict().at("1.weight").to_vector<float>();
  data::Batch bad{full({2, 2}, NAN), tensor_i64({0, 1})};
  const StepResult r = train_step(*model, *opt, bad, step);
  CHECK(!r.ok);
  CHECK(contains(r.problem, "loss is nan"));
  CHECK(model->state_dict().at("1.weight").to_vector<float>() == before);
}

TEST_CASE("cli: compute_loss matches the functional losses") {
  const Tensor out = tensor({2.0, -1.0, 0.5, 0.5, -3.0, 1.0}, {3, 2});
  const Tensor y = tensor_i64({0, 1, 1});
  // cross-entropy by hand: -log softmax(out)[y] averaged.
  const double ce =
      (std::log(1 + std::exp(-3.0)) + std::log(2.0) + std::log(1 + std::exp(-4.0))) / 3;
  CHECK(compute_loss("cross-entropy", out, y).item() == doctest::Approx(ce).epsilon(1e-5));
  // mse against one-hot rows: ((2-1)^2 + 1 + .25 + .25 + 9 + 0) / 6
  CHECK(compute_loss("mse", out, y).item() == doctest::Approx(11.5 / 6).epsilon(1e-6));
  CHECK(compute_loss("l1", out, y).item() == doctest::Approx((1 + 1 + .5 + .5 + 3 + 0) / 6.0));
  test::check_throws<ValueError>([&] { compute_loss("hinge", out, y); }, {"unknown loss 'hinge'"});
}

TEST_CASE("cli: every --loss is a loss module of nn/loss.hpp") {
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"cross-entropy", "CrossEntropyLoss"},
      {"nll", "NLLLoss"},
      {"mse", "MSELoss"},
      {"l1", "L1Loss"},
      {"huber", "HuberLoss"},
      {"smooth-l1", "SmoothL1Loss"},
      {"multi-margin", "MultiMarginLoss"},
      {"bce-with-logits", "BCEWithLogitsLoss"}};
  REQUIRE(loss_names().size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    CAPTURE(expected[i].first);
    CHECK(loss_names()[i] == expected[i].first);
    CHECK(make_loss(expected[i].first)->type_name() == expected[i].second);
  }
  test::check_throws<ValueError>([] { make_loss("hinge"); }, {"unknown loss 'hinge'"});
  // The module's value is compute_loss's, for a class-index and a one-hot loss.
  const Tensor out = tensor({2.0, -1.0, 0.5, 0.5, -3.0, 1.0}, {3, 2});
  const Tensor y = tensor_i64({0, 1, 1});
  CHECK(compute_loss("huber", out, y).item() ==
        (*make_loss("huber"))(out, one_hot(y, 2).to(out.dtype())).item());
  CHECK(compute_loss("multi-margin", out, y).item() == (*make_loss("multi-margin"))(out, y).item());
}

TEST_CASE("cli: predict and evaluate a fixed model") {
  // A 2-feature, 2-class linear model: class 1 when x0 > x1.
  ModelSpec spec{.inputs = 2, .hidden = {}, .outputs = 2, .normalize = "none"};
  auto model = build_model(spec);
  auto fc = model->at<nn::Linear>(1);
  {
    NoGradGuard ng;
    fc->weight.copy_(tensor({-1.0, 1.0, 1.0, -1.0}, {2, 2}));
    fc->bias.zero_();
  }
  const data::Dataset ds(tensor({2.0, 1.0, 0.0, 3.0, 5.0, 4.0, 1.0, 1.5}, {4, 2}),
                         tensor_i64({1, 0, 1, 1}));
  const Predictions p = predict(*model, spec, ds, 3);  // two batches
  CHECK(p.y_pred == metrics::Labels{1, 0, 1, 0});
  CHECK(p.accuracy == 0.75);
  CHECK(p.proba[0][1] == doctest::Approx(1 / (1 + std::exp(-2.0))));
  const Evaluation e = evaluate(p, 2, {"neg", "pos"});
  CHECK(e.report.accuracy == 0.75);
  CHECK(e.report.confusion.counts == std::vector<std::vector<std::int64_t>>{{1, 0}, {1, 2}});
  // Scores of class 1 (x0 - x1): 1, -3, 1, -0.5 for labels 1, 0, 1, 1: every positive
  // outranks the negative, so both one-vs-rest AUCs are 1.
  CHECK(e.auc[1] == doctest::Approx(1.0));
  CHECK(e.auc_macro == doctest::Approx(1.0));
  const std::string text = format_evaluation(e);
  CHECK(contains(text, "accuracy 75.00% (4 samples)"));
  CHECK(contains(text, "specificity"));
  CHECK(contains(text, "true \\ pred"));
  const std::string json = evaluation_json(e, R"({"model": "m.safetensors"})");
  CHECK(contains(json, "\"roc_auc\""));
  CHECK(contains(json, "\"model\": \"m.safetensors\""));

  const data::Dataset wrong(zeros({2, 3}), tensor_i64({0, 1}));
  test::check_throws<ValueError>([&] { predict(*model, spec, wrong); }, {"2 features", "has 3"});
  const data::Dataset label(zeros({1, 2}), tensor_i64({5}));
  test::check_throws<ValueError>([&] { predict(*model, spec, label); }, {"label 5", "2 classes"});
}
