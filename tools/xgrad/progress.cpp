#include "tools/xgrad/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

namespace xg::cli {

namespace {

std::string printf_string(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string percent(double fraction) { return printf_string("%.2f%%", 100.0 * fraction); }

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--";
  if (seconds < 10) return printf_string("%.1fs", seconds);
  if (seconds < 60) return printf_string("%.0fs", std::floor(seconds));
  const auto total = static_cast<long long>(seconds);
  const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  char buf[48];
  if (h > 0) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", h, m, s);
  } else {
    std::snprintf(buf, sizeof buf, "%lld:%02lld", m, s);
  }
  return buf;
}

std::string format_rate(double r) {
  if (!std::isfinite(r) || r < 0) return "-- samples/s";
  if (r < 1000) return printf_string("%.0f samples/s", r);
  if (r < 1e6) return printf_string("%.1fk samples/s", r / 1e3);
  return printf_string("%.2fM samples/s", r / 1e6);
}

std::string format_bar(double fraction, int width) {
  if (width <= 0) return "";
  if (!(fraction >= 0)) fraction = 0;  // NaN too
  fraction = std::min(fraction, 1.0);
  const int filled = static_cast<int>(std::floor(fraction * width));
  std::string bar(1, '[');
  for (int i = 0; i < width; ++i) {
    if (i < filled) {
      bar += '=';
    } else if (i == filled) {
      bar += '>';
    } else {
      bar += ' ';
    }
  }
  bar += ']';
  return bar;
}

// Lines are assembled with operator<< rather than "literal" + std::string: GCC 12 reports a
// false -Wrestrict on the latter (GCC bug 105329).
std::string format_progress(const ProgressState& s, int bar_width) {
  const double fraction = s.batches > 0 ? static_cast<double>(s.batch) / s.batches : 0.0;
  std::ostringstream line;
  line << "epoch " << s.epoch << '/' << s.epochs;
  if (bar_width > 0) line << ' ' << format_bar(fraction, bar_width);
  line << printf_string(" %3.0f%%", 100.0 * fraction) << ' ' << s.batch << '/' << s.batches;
  line << "  loss " << printf_string("%.4f", s.loss);
  const double rate = s.elapsed > 0 ? s.samples / s.elapsed : NAN;
  line << "  " << format_rate(rate);
  const double eta = s.batch > 0 ? s.elapsed / s.batch * (s.batches - s.batch) : NAN;
  line << "  ETA " << format_duration(eta);
  return line.str();
}

std::string format_epoch_summary(const EpochSummary& s) {
  const int digits = static_cast<int>(std::to_string(s.epochs).size());
  char head[64];
  std::snprintf(head, sizeof head, "epoch %*d/%d", digits, s.epoch, s.epochs);
  std::ostringstream line;
  line << head << "  train loss " << printf_string("%.4f", s.train_loss) << " acc "
       << percent(s.train_accuracy);
  if (s.val_loss) {
    line << "  val loss " << printf_string("%.4f", *s.val_loss);
    if (s.val_accuracy) line << " acc " << percent(*s.val_accuracy);
  }
  line << "  lr " << printf_string("%.2e", s.lr) << "  " << format_duration(s.seconds);
  if (s.samples_per_second) line << "  " << format_rate(*s.samples_per_second);
  if (s.eta) line << "  ETA " << format_duration(*s.eta);
  if (s.best) line << "  *";
  return line.str();
}

ProgressReporter::ProgressReporter(std::ostream& out, bool terminal, double plain_interval)
    : out_(out), terminal_(terminal), plain_interval_(plain_interval) {}

void ProgressReporter::start_epoch(int epoch, int epochs, std::int64_t batches) {
  state_ = ProgressState{.epoch = epoch, .epochs = epochs, .batches = batches};
  epoch_start_ = Clock::now();
  last_draw_ = epoch_start_;
}

double ProgressReporter::epoch_elapsed() const {
  return std::chrono::duration<double>(Clock::now() - epoch_start_).count();
}

void ProgressReporter::update(std::int64_t batch, std::int64_t samples, double mean_loss) {
  state_.batch = batch;
  state_.samples = samples;
  state_.loss = mean_loss;
  const auto now = Clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (terminal_) {
    if (since < 0.1 && batch < state_.batches) return;
    state_.elapsed = epoch_elapsed();
    // \r and "erase to end of line": the line shrinks when the numbers do.
    out_ << '\r' << format_progress(state_, 30) << "\033[K" << std::flush;
    bar_shown_ = true;
  } else {
    if (since < plain_interval_ || batch >= state_.batches) return;
    state_.elapsed = epoch_elapsed();
    out_ << format_progress(state_, 0) << '\n' << std::flush;
  }
  last_draw_ = now;
}

void ProgressReporter::clear() {
  if (terminal_ && bar_shown_) out_ << "\r\033[K" << std::flush;
  bar_shown_ = false;
}

void ProgressReporter::end_epoch(const EpochSummary& summary) {
  clear();
  out_ << format_epoch_summary(summary) << '\n' << std::flush;
}

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

}  // namespace xg::cli
