#include "tools/xgrad/interrupt.hpp"

#include <csignal>

namespace xg::cli {

namespace {

// Only a lock-free atomic flag may be written from a signal handler.
volatile std::sig_atomic_t g_interrupted = 0;

extern "C" void on_sigint(int) { g_interrupted = 1; }

}  // namespace

void install_interrupt_handler() {
  g_interrupted = 0;
  struct sigaction action {};
  action.sa_handler = on_sigint;
  sigemptyset(&action.sa_mask);
  // SA_RESETHAND: the handler runs once; a second Ctrl-C ends the process by default.
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, nullptr);
}

void remove_interrupt_handler() { std::signal(SIGINT, SIG_DFL); }

bool interrupted() { return g_interrupted != 0; }

void simulate_interrupt() { g_interrupted = 1; }

}  // namespace xg::cli
