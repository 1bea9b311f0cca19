// The options of `xgrad train`, `xgrad eval` and `xgrad gradcheck`, filled in by main.cpp
// from the command line, and the functions that run each command. A command returns the
// process exit code; user mistakes throw (UsageError for options that do not fit
// together, xg's typed errors from the library), and main prints them as one line.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "tools/xgrad/data_source.hpp"

namespace xg::cli {

// Options that do not fit together, or a value the command line parser could not check.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What the model looks like and what it is trained on (train and gradcheck).
struct ArchOptions {
  std::string dataset = "fashion-mnist";
  DataOptions data = {};
  std::string hidden = "256,128";
  std::string activation = "relu";
  std::string loss = "cross-entropy";
  double dropout = 0.0;
  // "auto": global for images (fashion-mnist, mnist, idx), per-feature otherwise.
  std::string normalize = "auto";
};

struct OptimOptions {
  std::string optimizer = "adam";  // sgd, adam, adamw, rmsprop, adagrad
  std::optional<double> lr = {};   // unset flags: see optimizer_defaults()
  std::optional<double> momentum = {};
  std::optional<double> weight_decay = {};
  std::optional<double> eps = {};
  std::optional<std::string> betas = {};  // "0.9,0.999"
  bool nesterov = false;
  std::string schedule = "cosine";  // cosine, step, constant
};

struct TrainOptions {
  ArchOptions arch = {};
  OptimOptions optim = {};
  int epochs = 10;
  std::int64_t batch_size = 128;
  double val_fraction = 0.1;
  int early_stopping = 0;  // patience in epochs; 0 = off
  double l1 = 0.0, l2 = 0.0;
  double input_noise = 0.0;
  double max_norm = 0.0;  // 0 = off
  std::uint64_t seed = 0;
  int threads = 0;  // 0 = the library's default
  std::string save = {};
  // Where Ctrl-C or SIGTERM saves its checkpoint; empty: interrupt_checkpoint_path().
  std::string save_on_interrupt = {};
  std::string plot = {};
};

// The checkpoint file of an interrupted training: --save-on-interrupt, else SAVE.interrupted
// beside the --save file (which keeps the last finished model), else
// xgrad-interrupted.safetensors.
std::string interrupt_checkpoint_path(const TrainOptions& o);

struct EvalOptions {
  std::string model;
  std::optional<std::string> data = {};  // default: the data the model was trained on
  std::string split = "test";            // test, train, all
  std::optional<std::int64_t> samples = {};
  std::optional<double> noise = {};
  std::optional<std::int64_t> centers = {};
  std::optional<std::uint64_t> seed = {};
  std::optional<double> test_fraction = {};
  std::int64_t batch_size = 1000;
  int threads = 0;
  std::string json = {};
  std::string plot = {};
};

struct GradcheckCmdOptions {
  ArchOptions arch = {};
  double l1 = 0.0, l2 = 0.0;
  std::int64_t batch = 4;
  std::int64_t max_elements = 4096;  // per parameter; larger ones are checked on a block
  double eps = 1e-6, atol = 1e-5, rtol = 1e-3;
  std::uint64_t seed = 0;
};

int run_train(const TrainOptions& options);
int run_eval(const EvalOptions& options);
int run_gradcheck(const GradcheckCmdOptions& options);

}  // namespace xg::cli
