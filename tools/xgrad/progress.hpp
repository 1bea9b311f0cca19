// Training progress for `xgrad train`: a bar redrawn in place on a terminal, plain lines
// (at most one every few seconds) when the output is a file or a pipe, and one summary
// line per epoch. The format_* functions are pure so they can be tested.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

namespace xg::cli {

// "4.2s" below 10 s, "42s" below a minute, "3:05", "1:02:03"; "--" for negative or
// non-finite values.
std::string format_duration(double seconds);
// "812 samples/s", "45.1k samples/s", "1.20M samples/s"; "--" for non-finite values.
std::string format_rate(double samples_per_second);
// A bar of `width` cells between brackets: "[=====>    ]"; fraction clamped to [0, 1],
// a full bar has no '>'.
std::string format_bar(double fraction, int width);

struct ProgressState {
  int epoch = 1, epochs = 1;            // 1-based
  std::int64_t batch = 0, batches = 0;  // batches done / per epoch
  std::int64_t samples = 0;             // samples done this epoch
  double loss = 0.0;                    // mean training loss so far this epoch
  double elapsed = 0.0;                 // seconds since the epoch began
};

// "epoch 3/10 [=====>    ]  45% 422/938  loss 0.4123  45.1k samples/s  ETA 0:03"; without
// the bar when bar_width is 0.
std::string format_progress(const ProgressState& s, int bar_width);

struct EpochSummary {
  int epoch = 1, epochs = 1;
  double train_loss = 0.0, train_accuracy = 0.0;
  std::optional<double> val_loss = {}, val_accuracy = {};
  double lr = 0.0;
  double seconds = 0.0;
  std::optional<double> samples_per_second = {};
  std::optional<double> eta = {};  // seconds left for the remaining epochs
  bool best = false;               // marks the best validation loss so far (early stopping)
};

// "epoch  3/10  train loss 0.3012 acc 89.12%  val loss 0.3301 acc 88.01%  lr 1.00e-03  3.2s
//  16.9k samples/s  ETA 22s" (on one line; the last two parts when set)
std::string format_epoch_summary(const EpochSummary& s);

// Writes progress to `out`: on a terminal the bar line is rewritten in place (\r), at
// most ten times a second; otherwise a plain line at most every `plain_interval` seconds.
class ProgressReporter {
 public:
  ProgressReporter(std::ostream& out, bool terminal, double plain_interval = 5.0);
  void start_epoch(int epoch, int epochs, std::int64_t batches);
  void update(std::int64_t batch, std::int64_t samples, double mean_loss);
  // Clears the bar and prints the summary line.
  void end_epoch(const EpochSummary& summary);
  // Clears a bar left on the line (before another message is printed).
  void clear();
  double epoch_elapsed() const;

 private:
  using Clock = std::chrono::steady_clock;
  std::ostream& out_;
  bool terminal_;
  double plain_interval_;
  ProgressState state_;
  Clock::time_point epoch_start_, last_draw_;
  bool bar_shown_ = false;
};

// Whether stdout is a terminal (isatty).
bool stdout_is_terminal();

}  // namespace xg::cli
