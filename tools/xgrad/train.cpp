// `xgrad train`: load the data, build the MLP, train with progress, evaluate on the test
// part, save and plot.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "tools/xgrad/commands.hpp"
#include "tools/xgrad/evaluation.hpp"
#include "tools/xgrad/interrupt.hpp"
#include "tools/xgrad/model_spec.hpp"
#include "tools/xgrad/optimizer_factory.hpp"
#include "tools/xgrad/output_files.hpp"
#include "tools/xgrad/phase.hpp"
#include "tools/xgrad/plots.hpp"
#include "tools/xgrad/progress.hpp"
#include "tools/xgrad/training_util.hpp"
#include "xgrad/autograd/atomic_file.hpp"
#include "xgrad/autograd/ops/elementwise.hpp"
#include "xgrad/autograd/ops/reduce.hpp"
#include "xgrad/autograd/random.hpp"
#include "xgrad/autograd/runtime.hpp"
#include "xgrad/nn/regularization.hpp"
#include "xgrad/nn/serialize.hpp"

namespace xg::cli {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check_options(const TrainOptions& o) {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw UsageError(message);
  };
  require(o.epochs >= 1, "--epochs must be >= 1, got " + std::to_string(o.epochs));
  require(o.batch_size >= 1, "--batch-size must be >= 1, got " + std::to_string(o.batch_size));
  require(o.val_fraction >= 0 && o.val_fraction < 1, "--val-fraction must be in [0, 1)");
  require(o.early_stopping >= 0,
          "--early-stopping must be >= 0, got " + std::to_string(o.early_stopping));
  require(o.early_stopping == 0 || o.val_fraction > 0,
          "--early-stopping needs a validation set: give --val-fraction > 0");
  require(o.l1 >= 0 && o.l2 >= 0, "--l1 and --l2 must be >= 0");
  require(o.input_noise >= 0, "--input-noise must be >= 0");
  require(o.max_norm >= 0, "--max-norm must be >= 0");
  require(o.threads >= 0, "--threads must be >= 0");
  // Output places are checked before training, not found wanting after it.
  if (!o.save.empty()) {
    const std::filesystem::path parent = std::filesystem::path(o.save).parent_path();
    require(parent.empty() || std::filesystem::exists(parent),
            "--save: the directory '" + parent.string() + "' does not exist");
    require(!std::filesystem::is_directory(o.save), "--save: '" + o.save + "' is a directory");
    check_writable("--save", o.save);
  }
  if (!o.save_on_interrupt.empty()) check_writable("--save-on-interrupt", o.save_on_interrupt);
}

std::string percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * fraction);
  return buf;
}

// The training metadata stored in the model file next to the architecture.
nn::Metadata make_metadata(const ModelSpec& spec, const DataSpec& data_spec,
                           const DataOptions& data_options, const TrainOptions& o,
                           const optim::Optimizer& opt, int epochs_done,
                           const std::string& status) {
  nlohmann::json training;
  training["epochs"] = epochs_done;
  training["batch_size"] = o.batch_size;
  training["optimizer"] = describe_optimizer(opt);
  training["lr_schedule"] = o.optim.schedule;
  training["val_fraction"] = o.val_fraction;
  training["seed"] = o.seed;
  training["status"] = status;
  // They decide the bits of the result (README § Determinism).
  training["threads"] = get_num_threads();
  training["blas_kernel"] = blas_kernel();
  return {{kModelKey, spec_to_json(spec)},
          {kDataKey, data_to_json(data_spec, data_options)},
          {"xgrad.training", training.dump()}};
}

}  // namespace

std::string interrupt_checkpoint_path(const TrainOptions& o) {
  if (!o.save_on_interrupt.empty()) return o.save_on_interrupt;
  return o.save.empty() ? "xgrad-interrupted.safetensors" : o.save + ".interrupted";
}

int run_train(const TrainOptions& o) {
  const auto start = Clock::now();
  check_options(o);
  // Early, so that a Ctrl-C while the data loads still ends with a checkpoint.
  install_interrupt_handler();
  struct HandlerGuard {
    ~HandlerGuard() { remove_interrupt_handler(); }
  } handler_guard;
  if (o.threads > 0) set_num_threads(o.threads);
  if (!o.plot.empty()) make_plot_dir(o.plot);
  manual_seed(o.seed);

  const DataSpec data_spec = parse_data_spec(o.arch.dataset);
  if (!o.save.empty()) check_output("--save", o.save, input_files(data_spec));
  check_output("--save-on-interrupt", interrupt_checkpoint_path(o), input_files(data_spec));
  DataOptions data_options = o.arch.data;
  data_options.seed = o.seed;
  // Check the optimizer flags before the (slow) data load.
  {
    Tensor probe = zeros({1}, {.requires_grad = true});
    make_optimizer(o.optim, {probe});
  }
  set_phase("loading the data");
  const LoadedData data = load_data(data_spec, data_options);
  std::cout << "data: " << data.description << "\n";

  data::Dataset fit = data.train, val;
  if (o.val_fraction > 0) {
    // A seed of its own, so that the validation part does not depend on the test split.
    auto parts = data::train_val_split(data.train, o.val_fraction, o.seed + 1);
    fit = parts.first;
    val = parts.second;
    if (fit.size() == 0 || val.size() == 0) {
      char fraction[32];
      std::snprintf(fraction, sizeof fraction, "%g", o.val_fraction);
      throw UsageError("--val-fraction " + std::string(fraction) + " leaves an empty " +
                       (fit.size() == 0 ? "training" : "validation") + " set of " +
                       std::to_string(data.train.size()) + " samples");
    }
  }

  set_phase("building the model");
  ModelSpec spec = make_spec(o.arch, data_spec, data);
  auto model = build_model(spec);
  fit_standardizer(*model, spec, fit);
  auto opt = make_optimizer(o.optim, model->parameters());
  auto scheduler = make_scheduler(o.optim, *opt, o.epochs);
  std::cout << "model: " << spec.describe() << " (" << model->num_parameters()
            << " parameters), loss " << spec.loss << ", " << describe_optimizer(*opt)
            << ", lr schedule " << o.optim.schedule << "\n";
  std::cout << "training on " << fit.size() << " samples"
            << (val.size() > 0 ? ", validating on " + std::to_string(val.size()) : std::string())
            << "; batch " << o.batch_size << ", " << o.epochs << " epochs, " << get_num_threads()
            << " threads, BLAS kernel " << blas_kernel() << "\n"
            << std::flush;

  const StepOptions step_options{.loss = spec.loss,
                                 .l1 = o.l1,
                                 .l2 = o.l2,
                                 .input_noise = o.input_noise,
                                 .max_norm = o.max_norm};
  data::DataLoader loader(fit, {.batch_size = o.batch_size, .shuffle = true, .seed = o.seed + 2});
  ProgressReporter progress(std::cout, stdout_is_terminal());
  History history;
  nn::StateDict best_state;
  double best_val = INFINITY;
  int best_epoch = 0, waited = 0, epochs_done = 0;
  double training_seconds = 0.0;  // for the ETA of the remaining epochs

  // "" when saved; else why not and where the model went instead.
  auto save_checkpoint = [&](const std::string& path, const std::string& status) {
    set_phase("saving the model");
    return save_with_fallback(path, [&](const std::string& to) {
      nn::save(*model, to,
               make_metadata(spec, data_spec, data_options, o, *opt, epochs_done, status));
    });
  };

  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    set_phase("training epoch", epoch);
    model->train();
    progress.start_epoch(epoch, o.epochs, loader.size());
    EpochStats stats;
    std::int64_t batch_index = 0;
    const double lr = opt->lr();
    for (const auto& batch : loader) {
      ++batch_index;
      const StepResult r = train_step(*model, *opt, batch, step_options);
      if (!r.ok) {
        progress.clear();
        throw TrainingDiverged("training stopped at epoch " + std::to_string(epoch) + ", batch " +
                               std::to_string(batch_index) + ": " + r.problem +
                               " (try a smaller --lr, or --max-norm)");
      }
      stats.add(r);
      progress.update(batch_index, stats.samples, stats.mean_loss());
      if (interrupted()) {
        progress.clear();
        const std::string path = interrupt_checkpoint_path(o);
        const std::string failed =
            save_checkpoint(path, "interrupted at epoch " + std::to_string(epoch) + ", batch " +
                                      std::to_string(batch_index));
        if (!failed.empty()) throw std::runtime_error("interrupted: " + failed);
        std::cout << "interrupted at epoch " << epoch << ", batch " << batch_index << "/"
                  << loader.size() << ": checkpoint saved to " << path << "\n"
                  << std::flush;
        return interrupted_exit_code();
      }
    }
    epochs_done = epoch;
    EpochSummary summary{.epoch = epoch,
                         .epochs = o.epochs,
                         .train_loss = stats.mean_loss(),
                         .train_accuracy = stats.accuracy(),
                         .lr = lr};
    history.epoch.push_back(epoch);
    history.train_loss.push_back(summary.train_loss);
    history.train_accuracy.push_back(summary.train_accuracy);
    if (val.size() > 0) {
      const Predictions vp = predict(*model, spec, val);
      summary.val_loss = vp.loss;
      summary.val_accuracy = vp.accuracy;
      history.val_loss.push_back(vp.loss);
      history.val_accuracy.push_back(vp.accuracy);
      if (vp.loss < best_val) {
        best_val = vp.loss;
        best_epoch = epoch;
        waited = 0;
        summary.best = o.early_stopping > 0;
        if (o.early_stopping > 0) best_state = copy_state(*model);
      } else {
        ++waited;
      }
    }
    if (scheduler) scheduler->step();
    summary.seconds = progress.epoch_elapsed();
    summary.samples_per_second = stats.samples / std::max(summary.seconds, 1e-9);
    training_seconds += summary.seconds;
    if (epoch < o.epochs) summary.eta = training_seconds / epoch * (o.epochs - epoch);
    progress.end_epoch(summary);
    if (o.early_stopping > 0 && waited >= o.early_stopping) {
      std::cout << "early stopping: no better validation loss for " << waited << " epochs\n";
      break;
    }
  }
  if (o.early_stopping > 0 && !best_state.empty()) {
    model->load_state_dict(best_state);
    std::cout << "restored the weights of epoch " << best_epoch << " (validation loss " << best_val
              << ")\n";
  }

  set_phase("evaluating on the test data");
  const Predictions tp = predict(*model, spec, data.test);
  const Evaluation test_eval = evaluate(tp, spec.outputs, spec.class_names);
  char scores[160];
  std::snprintf(scores, sizeof scores, "loss %.4f, macro F1 %.4f, ROC AUC %.4f", tp.loss,
                test_eval.report.macro.f_score, test_eval.auc_macro);
  std::cout << "test: accuracy " << percent(tp.accuracy) << ", " << scores << " ("
            << data.test.size() << " samples)\n";

  std::string save_failed;
  if (!o.save.empty()) {
    save_failed = save_checkpoint(o.save, "finished");
    if (save_failed.empty()) std::cout << "saved the model to " << o.save << "\n";
  }
  if (!o.plot.empty()) {
    set_phase("writing the plots");
    try {
      plot_history(o.plot, history);
      plot_evaluation(o.plot, test_eval);
      const bool regions = plot_regions(o.plot, *model, data.test, spec.class_names, spec.outputs);
      std::cout << "wrote loss.svg, accuracy.svg, roc.svg, confusion.svg"
                << (regions ? ", regions.svg" : "") << " to " << o.plot << "\n";
    } catch (const std::exception& e) {
      if (save_failed.empty()) throw;
      // The message must still say where the model went.
      save_failed += std::string("; --plot: ") + e.what();
    }
  }
  if (!save_failed.empty()) throw std::runtime_error("--save: " + save_failed);
  std::cout << "done in " << format_duration(seconds_since(start)) << "\n" << std::flush;
  return 0;
}

}  // namespace xg::cli
