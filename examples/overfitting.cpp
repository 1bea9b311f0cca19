// Overfitting and its cures.
//
// An MLP with ~100,000 parameters trained on only 200 Fashion-MNIST images can memorise
// them: its training loss goes to ~0 while the loss on images it has not seen (the
// validation set) first falls, then RISES again, because the network becomes ever more
// confident, including on its mistakes. The cures all limit what the network can do with
// those 200 images:
//   L1 penalty      + lambda sum |w|     pushes weights to exactly 0 (sparse models)
//   L2 penalty      + lambda sum w^2     keeps weights small (weight decay)
//   dropout         zeroes random hidden units at training time: no unit can rely on another
//   input noise     adds N(0, sigma^2) to the pixels at each step: nearby images, same label
//   max-norm        rescales each unit's incoming weight vector to norm <= c after each step
//   early stopping  watches the validation loss, stops when it has not improved for
//                   `patience` epochs, and restores the best weights seen (state_dict)
// Each is trained from the same initial weights on the same mini-batches; the table at
// the end compares the final training and validation loss and accuracy.
//
// Usage: overfitting [--plot DIR]   (DIR: write validation-loss curves as SVG, if built
//                                    with the plotting library)
// Exit code 0 when the baseline overfits and every cure ends with a lower validation loss.
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <xgrad.hpp>
#include <xgrad/data/dataset.hpp>
#include <xgrad/data/datasets.hpp>
#ifdef XGRAD_EXAMPLES_HAVE_PLOT
#include <tools/plot/charts.hpp>
#endif

namespace {

struct Config {
  const char* name;
  double l1 = 0, l2 = 0;   // penalty weights
  double dropout = 0;      // probability of zeroing a hidden unit
  double input_noise = 0;  // std of the Gaussian noise added to the inputs
  double max_norm = 0;     // 0: no constraint
  int patience = 0;        // 0: no early stopping
};

struct Result {
  double train_loss = 0, train_acc = 0, val_loss = 0, val_acc = 0;
  double best_val_loss = 1e30;
  int best_epoch = 0, epochs_run = 0;
  std::vector<double> val_curve, train_curve;
};

// Loss and accuracy of the model on a whole data set, in eval mode (no dropout).
std::pair<double, double> evaluate(xg::nn::Module& model, const xg::data::Dataset& ds) {
  xg::NoGradGuard no_grad;
  model.eval();
  const xg::Tensor logits = model(ds.features());
  model.train();
  const double loss = xg::nn::functional::cross_entropy(logits, ds.targets()).item();
  const double acc =
      xg::eq(xg::argmax(logits, 1), ds.targets()).sum().item() / static_cast<double>(ds.size());
  return {loss, acc};
}

// Max-norm: each row of a Linear weight (out, in) holds one unit's incoming weights; rows
// longer than c are scaled back to length c. Done in place, outside the graph.
void apply_max_norm(xg::nn::Module& model, double c) {
  xg::NoGradGuard no_grad;
  for (auto& [name, p] : model.named_parameters()) {
    if (p.dim() != 2) continue;  // weights only, not biases
    const xg::Tensor norms = xg::sqrt(xg::sum(xg::square(p), {1}, /*keepdim=*/true));
    p.mul_(xg::clamp(c / (norms + 1e-12), std::nullopt, 1.0));
  }
}

Result run(const Config& cfg, const xg::data::Dataset& train, const xg::data::Dataset& val,
           int epochs) {
  xg::manual_seed(7);  // same initial weights, batches and noise draws for every config
  xg::nn::Sequential model{xg::nn::Linear(784, 128), xg::nn::ReLU(), xg::nn::Dropout(cfg.dropout),
                           xg::nn::Linear(128, 10)};
  xg::optim::Adam opt(model.parameters(), {.lr = 1e-3});
  xg::data::DataLoader loader(train, {.batch_size = 50, .shuffle = true, .seed = 7});

  Result r;
  xg::nn::StateDict best;  // early stopping: a copy of the best weights
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    for (const auto& [x, y] : loader) {
      xg::Tensor input = x;
      if (cfg.input_noise > 0) input = x + xg::normal(x.shape(), 0.0, cfg.input_noise);
      xg::Tensor loss = xg::nn::functional::cross_entropy(model(input), y);
      if (cfg.l1 > 0) loss = loss + cfg.l1 * xg::nn::l1_penalty(model.parameters());
      if (cfg.l2 > 0) loss = loss + cfg.l2 * xg::nn::l2_penalty(model.parameters());
      opt.zero_grad();
      loss.backward();
      opt.step();
      if (cfg.max_norm > 0) apply_max_norm(model, cfg.max_norm);
    }
    const auto [train_loss, train_acc] = evaluate(model, train);
    const auto [val_loss, val_acc] = evaluate(model, val);
    r.train_curve.push_back(train_loss);
    r.val_curve.push_back(val_loss);
    r.epochs_run = epoch;
    if (val_loss < r.best_val_loss) {
      r.best_val_loss = val_loss;
      r.best_epoch = epoch;
      if (cfg.patience > 0) {
        // state_dict() returns handles that ALIAS the parameters: clone to keep a copy.
        xg::NoGradGuard no_grad;
        best.clear();
        for (const auto& [name, t] : model.state_dict()) best[name] = t.clone();
      }
    } else if (cfg.patience > 0 && epoch - r.best_epoch >= cfg.patience) {
      break;  // no improvement for `patience` epochs: stop
    }
  }
  if (cfg.patience > 0) model.load_state_dict(best);  // back to the best epoch's weights
  std::tie(r.train_loss, r.train_acc) = evaluate(model, train);
  std::tie(r.val_loss, r.val_acc) = evaluate(model, val);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string plot_dir;
  if (argc == 3 && std::strcmp(argv[1], "--plot") == 0) plot_dir = argv[2];

  // The matrices here are small: one BLAS thread avoids the cost of waking the others
  // (on a busy 2-core machine this halved the run time).
  xg::set_num_threads(1);
  xg::data::Dataset all;
  try {
    // The 10,000 test images of Fashion-MNIST: we only need 1,200 of them.
    all = xg::data::fashion_mnist("test", {.flatten = true});
  } catch (const std::exception& e) {
    std::printf("Fashion-MNIST is missing: %s\n", e.what());
    return 2;
  }
  // 200 images to train on, 1,000 others to validate on.
  const auto parts = xg::data::split(all, {0.02, 0.1, 0.88}, /*seed=*/1);
  const xg::data::Dataset& train = parts[0];
  const xg::data::Dataset& val = parts[1];
  std::printf(
      "Fashion-MNIST: %lld training and %lld validation images; "
      "MLP 784-128-10 (101,770 parameters), Adam lr 1e-3, batch 50\n\n",
      static_cast<long long>(train.size()), static_cast<long long>(val.size()));

  const int epochs = 100;
  const std::vector<Config> configs = {
      {.name = "no cure (baseline)"},
      {.name = "L1 penalty 1e-3", .l1 = 1e-3},
      {.name = "L2 penalty 1e-2", .l2 = 1e-2},
      {.name = "dropout 0.5", .dropout = 0.5},
      {.name = "input noise 0.6", .input_noise = 0.6},
      {.name = "max-norm 1.0", .max_norm = 1.0},
      {.name = "early stopping (patience 10)", .patience = 10},
  };
  std::printf("%-28s %10s %9s %9s %8s %15s\n", "", "train loss", "train acc", "val loss", "val acc",
              "best val (ep)");
  std::vector<Result> results;
  for (const Config& cfg : configs) {
    results.push_back(run(cfg, train, val, epochs));
    const Result& r = results.back();
    std::printf("%-28s %10.4f %8.1f%% %9.4f %7.1f%% %9.4f (%2d)%s\n", cfg.name, r.train_loss,
                100.0 * r.train_acc, r.val_loss, 100.0 * r.val_acc, r.best_val_loss, r.best_epoch,
                r.epochs_run < epochs ? "  stopped early" : "");
    std::fflush(stdout);
  }

  // The baseline's validation loss curve, every 5 epochs: down, then up again.
  std::printf("\nbaseline, every 10 epochs:  train loss / val loss\n");
  for (std::size_t e = 9; e < results[0].val_curve.size(); e += 10)
    std::printf("  epoch %2zu: %.4f / %.4f\n", e + 1, results[0].train_curve[e],
                results[0].val_curve[e]);

#ifdef XGRAD_EXAMPLES_HAVE_PLOT
  if (!plot_dir.empty()) {
    std::vector<xg::plot::Series> series;
    for (std::size_t i = 0; i < configs.size(); ++i) {
      xg::plot::Series s{.name = configs[i].name};
      for (std::size_t e = 0; e < results[i].val_curve.size(); ++e) {
        s.xs.push_back(static_cast<double>(e + 1));
        s.ys.push_back(results[i].val_curve[e]);
      }
      series.push_back(s);
    }
    // The baseline's training loss, dashed in the baseline's colour: it keeps falling.
    xg::plot::Series train_curve{.name = "baseline (training loss)", .color = 0, .dashed = true};
    for (std::size_t e = 0; e < results[0].train_curve.size(); ++e) {
      train_curve.xs.push_back(static_cast<double>(e + 1));
      train_curve.ys.push_back(results[0].train_curve[e]);
    }
    series.push_back(train_curve);
    const std::string path = plot_dir + "/overfitting_val_loss.svg";
    xg::plot::line_chart(path, "Validation loss (training loss dashed): 200 Fashion-MNIST images",
                         "epoch", "cross-entropy", series);
    std::printf("\nwrote %s\n", path.c_str());
  }
#else
  if (!plot_dir.empty()) std::printf("\n(built without the plotting library: no SVG)\n");
#endif

  const Result& base = results[0];
  bool ok = base.train_acc >= 0.99 && base.val_loss > 1.2 * base.best_val_loss;
  for (std::size_t i = 1; i < results.size(); ++i) ok = ok && results[i].val_loss < base.val_loss;
  std::printf(
      "\n%s: the baseline overfits (val loss %.3f at the end vs %.3f at epoch %d); "
      "every cure ends lower.\n",
      ok ? "OK" : "UNEXPECTED", base.val_loss, base.best_val_loss, base.best_epoch);
  return ok ? 0 : 1;
}
