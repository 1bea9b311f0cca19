// The `xgrad` command: train, eval and gradcheck subcommands (CLI11). This file only
// declares the flags and turns every failure into one line on stderr and an exit code:
//   0 success, 1 an error (missing file, bad data, ...), 2 options that do not fit
//   together, 3 training diverged (non-finite loss or gradient), 130 / 143 interrupted
//   (Ctrl-C / SIGTERM), and CLI11's own codes (>= 100) for flags it cannot parse.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <system_error>

#include "tools/xgrad/commands.hpp"
#include "tools/xgrad/model_spec.hpp"
#include "tools/xgrad/optimizer_factory.hpp"
#include "tools/xgrad/phase.hpp"
#include "tools/xgrad/training_util.hpp"
#include "xgrad/autograd/runtime.hpp"

namespace {

using namespace xg::cli;

// Error text on one line: messages from deeper layers may hold newlines.
std::string one_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      out += "; ";
      while (i + 1 < text.size() && text[i + 1] == ' ') ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

// Stores the value in `target` only when the flag is given (defaults then depend on
// other flags, e.g. --lr on --optimizer).
template <class T>
CLI::Option* add_optional(CLI::App* app, const std::string& name, std::optional<T>& target,
                          const std::string& help) {
  return app->add_option_function<T>(
      name, [&target](const T& v) { target = v; }, help);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// Numeric checks with short messages (CLI11's own print the limits with six decimals, and
// DBL_MAX in full): "--lr: must be > 0, got -1".
CLI::Validator number_in(double lo, double hi, bool lo_open, const std::string& rule) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size())
          return "expected a number, got '" + text + "'";
        const bool ok = (lo_open ? v > lo : v >= lo) && v <= hi;
        return ok ? std::string() : "must be " + rule + ", got " + text;
      },
      rule);
}
const CLI::Validator kPositive = number_in(0, HUGE_VAL, true, "> 0");
const CLI::Validator kNonNegative = number_in(0, HUGE_VAL, false, ">= 0");
CLI::Validator in_range(double lo, double hi) {
  return number_in(lo, hi, false, "in [" + num(lo) + ", " + num(hi) + "]");
}

std::string join(const std::vector<std::string>& names, const char* sep) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : sep) + n;
  return out;
}

void add_arch_options(CLI::App* app, ArchOptions& a) {
  app->add_option("--dataset", a.dataset, "The data: " + data_spec_help())->capture_default_str();
  app->add_option("--samples", a.data.samples, "Generated sets: number of points (4 to 10^7)")
      ->capture_default_str();
  add_optional(app, "--noise", a.data.noise,
               "Generated sets: noise std (blobs: cluster std; default 0.1 xor/moons, 0.05 "
               "spirals/circles, 1 blobs)");
  app->add_option("--centers", a.data.centers, "blobs: number of clusters (classes, 2 to 1000)")
      ->capture_default_str();
  app->add_option("--test-fraction", a.data.test_fraction,
                  "Share held out for testing, for data without a test set of its own")
      ->capture_default_str();
  app->add_option("--hidden", a.hidden, "Hidden layer sizes, comma-separated ('none': linear)")
      ->capture_default_str();
  app->add_option("--activation", a.activation, "Hidden activation")
      ->check(CLI::IsMember(activation_names()))
      ->capture_default_str();
  app->add_option("--loss", a.loss, "Loss: " + join(loss_names(), ", "))
      ->check(CLI::IsMember(loss_names()))
      ->capture_default_str();
  app->add_option("--dropout", a.dropout, "Dropout probability after each hidden activation")
      ->check(in_range(0.0, 0.99))
      ->capture_default_str();
  app->add_option("--normalize", a.normalize,
                  "Input standardization: auto (global for images, per-feature otherwise), "
                  "global, per-feature, none")
      ->check(CLI::IsMember({"auto", "global", "per-feature", "none"}))
      ->capture_default_str();
}

void add_train(CLI::App& root, TrainOptions& t, int& code) {
  auto* app = root.add_subcommand(
      "train", "Train an MLP classifier (default: Fashion-MNIST, 784-256-128-10, 10 epochs)");
  add_arch_options(app, t.arch);
  auto& o = t.optim;
  app->add_option("--optimizer", o.optimizer, "Optimizer")
      ->check(CLI::IsMember(optimizer_names()))
      ->capture_default_str();
  // The defaults in the help come from the library's option structs (optimizer_factory).
  add_optional(app, "--lr", o.lr, "Learning rate (default: " + defaults_help("lr") + ")")
      ->check(kPositive);
  add_optional(app, "--momentum", o.momentum,
               "Momentum (default: " + defaults_help("momentum") + ")")
      ->check(in_range(0.0, 1.0));
  add_optional(app, "--weight-decay", o.weight_decay,
               "Weight decay (default: " + defaults_help("weight-decay") + ")")
      ->check(kNonNegative);
  app->add_flag("--nesterov", o.nesterov, "Nesterov momentum (sgd)");
  add_optional(app, "--betas", o.betas, "Betas (default: " + defaults_help("betas") + ")");
  add_optional(app, "--eps", o.eps, "Epsilon (default: " + defaults_help("eps") + ")")
      ->check(kPositive);
  app->add_option("--lr-schedule", o.schedule,
                  "Learning-rate schedule: cosine (anneal to 0 over the epochs), step (x0.1 "
                  "after each third), constant")
      ->check(CLI::IsMember({"cosine", "step", "constant"}))
      ->capture_default_str();
  app->add_option("--epochs", t.epochs, "Epochs")
      ->check(in_range(1, 1000000))
      ->capture_default_str();
  app->add_option("--batch-size", t.batch_size, "Mini-batch size")
      ->check(in_range(1, 1 << 24))
      ->capture_default_str();
  app->add_option("--val-fraction", t.val_fraction,
                  "Share of the training data held out for validation (0: none)")
      ->check(in_range(0.0, 0.99))
      ->capture_default_str();
  app->add_option("--early-stopping", t.early_stopping,
                  "Stop after PATIENCE epochs without a better validation loss and restore the "
                  "best weights (0: off)")
      ->type_name("PATIENCE")
      ->check(kNonNegative)
      ->capture_default_str();
  app->add_option("--l1", t.l1, "L1 penalty on the weights: + l1 * sum |w|")
      ->check(kNonNegative)
      ->capture_default_str();
  app->add_option("--l2", t.l2, "L2 penalty on the weights: + l2 * sum w^2")
      ->check(kNonNegative)
      ->capture_default_str();
  app->add_option("--input-noise", t.input_noise,
                  "Std of Gaussian noise added to the standardized inputs while training")
      ->check(kNonNegative)
      ->capture_default_str();
  app->add_option("--max-norm", t.max_norm,
                  "Max-norm constraint: rescale each unit's incoming weights to norm <= C after "
                  "every step (0: off)")
      ->check(kNonNegative)
      ->capture_default_str();
  app->add_option("--seed", t.seed, "Random seed (weights, shuffling, splits, generated data)")
      ->capture_default_str();
  app->add_option("--threads", t.threads, "Threads (0: the library's default; at most 256)")
      ->check(in_range(0, xg::kMaxThreads))
      ->capture_default_str();
  app->add_option("--save", t.save,
                  "Save the trained model (safetensors, with its architecture) to FILE")
      ->type_name("FILE");
  app->add_option("--save-on-interrupt", t.save_on_interrupt,
                  "Where Ctrl-C or SIGTERM saves the checkpoint before exiting (default: "
                  "FILE.interrupted beside --save FILE, which is kept; "
                  "xgrad-interrupted.safetensors without --save). Give the --save path to "
                  "overwrite it")
      ->type_name("PATH");
  app->add_option("--plot", t.plot,
                  "Write loss.svg, accuracy.svg, roc.svg, confusion.svg (and regions.svg for "
                  "2-D data) to DIR")
      ->type_name("DIR");
  app->callback([&t, &code] { code = run_train(t); });
}

void add_eval(CLI::App& root, EvalOptions& e, int& code) {
  auto* app = root.add_subcommand(
      "eval", "Evaluate a saved model: accuracy, confusion matrix, per-class scores, ROC AUC");
  app->add_option("--model", e.model, "Model file written by `xgrad train --save`")
      ->required()
      ->type_name("FILE")
      ->check(CLI::ExistingFile);
  add_optional(app, "--data,--dataset", e.data,
               "The data (default: the built-in or generated set the model was trained on; "
               "required for a model trained on files): " +
                   data_spec_help());
  app->add_option("--split", e.split, "Which part of the data: test, train or all")
      ->check(CLI::IsMember({"test", "train", "all"}))
      ->capture_default_str();
  add_optional(app, "--samples", e.samples, "Generated sets: number of points (default: stored)");
  add_optional(app, "--noise", e.noise, "Generated sets: noise (default: stored)");
  add_optional(app, "--centers", e.centers, "blobs: number of clusters (default: stored)");
  add_optional(app, "--seed", e.seed, "Data seed (default: the training seed)");
  add_optional(app, "--test-fraction", e.test_fraction, "Held-out share (default: stored)");
  app->add_option("--batch-size", e.batch_size, "Samples per forward pass")
      ->check(in_range(1, 1 << 24))
      ->capture_default_str();
  app->add_option("--threads", e.threads, "Threads (0: the library's default; at most 256)")
      ->check(in_range(0, xg::kMaxThreads));
  app->add_option("--json", e.json, "Also write the report as JSON to FILE")->type_name("FILE");
  app->add_option("--plot", e.plot, "Write roc.svg, confusion.svg (and regions.svg) to DIR")
      ->type_name("DIR");
  app->callback([&e, &code] { code = run_eval(e); });
}

void add_gradcheck(CLI::App& root, GradcheckCmdOptions& g, int& code) {
  auto* app = root.add_subcommand(
      "gradcheck",
      "Check the model's gradients (float64) against finite differences, parameter by parameter");
  add_arch_options(app, g.arch);
  app->add_option("--l1", g.l1, "L1 penalty included in the checked loss")->check(kNonNegative);
  app->add_option("--l2", g.l2, "L2 penalty included in the checked loss")->check(kNonNegative);
  app->add_option("--batch", g.batch, "Random samples in the batch")
      ->check(in_range(1, 1 << 16))
      ->capture_default_str();
  app->add_option("--max-elements", g.max_elements,
                  "Check at most this many elements of each parameter (a random block of rows)")
      ->check(in_range(1, 1 << 30))
      ->capture_default_str();
  app->add_option("--eps", g.eps, "Finite-difference step")
      ->check(kPositive)
      ->capture_default_str();
  app->add_option("--atol", g.atol, "Absolute tolerance")
      ->check(kNonNegative)
      ->capture_default_str();
  app->add_option("--rtol", g.rtol, "Relative tolerance")
      ->check(kNonNegative)
      ->capture_default_str();
  app->add_option("--seed", g.seed, "Random seed")->capture_default_str();
  app->callback([&g, &code] { code = run_gradcheck(g); });
}

std::string command_name(const CLI::App& app) {
  for (const auto* sub : app.get_subcommands()) return "xgrad " + sub->get_name();
  return "xgrad";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"xgrad: train and evaluate neural-network classifiers with the xgrad library",
               "xgrad"};
  app.set_version_flag("--version", xg::version());
  app.require_subcommand(1);
  app.footer(
      "Run `xgrad COMMAND --help` for the flags of a command.\n"
      "Exit codes: 0 ok, 1 error, 2 options that do not fit together, 3 training diverged, "
      "130 interrupted (Ctrl-C), 143 terminated (SIGTERM), >= 100 unparsable flags.");
  // Set before the subcommands are added: they copy it.
  app.failure_message([](const CLI::App* a, const CLI::Error& e) {
    const std::string cmd = command_name(*a);
    return cmd + ": error: " + one_line(e.what()) + " (see `" + cmd + " --help`)\n";
  });
  int code = 0;
  TrainOptions train;
  EvalOptions eval;
  GradcheckCmdOptions gradcheck;
  add_train(app, train, code);
  add_eval(app, eval, code);
  add_gradcheck(app, gradcheck, code);

  // CLI11 would call an unknown command a missing one ("A subcommand is required").
  const std::string first = argc >= 2 ? argv[1] : "";
  if (!first.empty() && first[0] != '-' && first != "train" && first != "eval" &&
      first != "gradcheck") {
    std::cerr << "xgrad: error: unknown command '" << argv[1]
              << "' (choose from train, eval, gradcheck; see `xgrad --help`)\n";
    return static_cast<int>(CLI::ExitCodes::ExtrasError);
  }
  try {
    app.parse(argc, argv);  // runs the chosen command's callback
    return code;
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const UsageError& e) {
    std::cout << std::flush;
    std::cerr << command_name(app) << ": error: " << one_line(e.what()) << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    // The stack is unwound, so what the command held is freed and printing can allocate.
    std::cout << std::flush;
    std::cerr << command_name(app) << ": error: out of memory while " << current_phase() << "\n";
    return 1;
  } catch (const TrainingDiverged& e) {
    std::cout << std::flush;
    std::cerr << command_name(app) << ": error: " << one_line(e.what()) << "\n";
    return kDivergedExitCode;
  } catch (const std::exception& e) {
    std::cout << std::flush;
    std::cerr << command_name(app) << ": error: " << one_line(e.what()) << "\n";
    return 1;
  } catch (...) {
    std::cerr << command_name(app) << ": error: unknown failure\n";
    return 1;
  }
}
