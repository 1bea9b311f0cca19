// Ctrl-C during training: the SIGINT handler only sets a flag; the training loop checks
// it after each step, saves a checkpoint and exits with code 130. A second Ctrl-C gets
// the default action (the process ends at once).
#pragma once

namespace xg::cli {

// Installs the handler (and clears the flag).
void install_interrupt_handler();
// Restores the default SIGINT action.
void remove_interrupt_handler();
bool interrupted();
// For tests: as if Ctrl-C had been pressed.
void simulate_interrupt();

inline constexpr int kInterruptedExitCode = 130;  // 128 + SIGINT, as shells report it

}  // namespace xg::cli
