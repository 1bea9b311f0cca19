#include "tools/xgrad/interrupt.hpp"

#include <csignal>

namespace xg::cli {

namespace {

// Only a lock-free atomic flag may be written from a signal handler: the signal's number,
// 0 while none came.
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int signal) {
  g_signal = signal;
  // The next SIGINT or SIGTERM ends the process by default (sigaction is async-signal-safe).
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

}  // namespace

void install_interrupt_handler() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  // Blocked while the handler runs, so that the two signals cannot both be caught.
  sigaddset(&action.sa_mask, SIGINT);
  sigaddset(&action.sa_mask, SIGTERM);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

void remove_interrupt_handler() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

bool interrupted() { return g_signal != 0; }

int interrupted_exit_code() { return 128 + (g_signal != 0 ? g_signal : SIGINT); }

void simulate_interrupt() { g_signal = SIGINT; }

}  // namespace xg::cli
