// Ctrl-C (SIGINT) or SIGTERM during training: the handler only records the signal; the
// training loop checks it after each step, saves a checkpoint and exits with 128 + the
// signal's number (130 for SIGINT, 143 for SIGTERM), as shells report a process the signal
// ended. A second signal gets the default action (the process ends at once).
#pragma once

namespace xg::cli {

// Installs the handler for SIGINT and SIGTERM (and clears the flag).
void install_interrupt_handler();
// Restores the default SIGINT and SIGTERM actions.
void remove_interrupt_handler();
bool interrupted();
// 128 + the number of the signal that came (130 when none did).
int interrupted_exit_code();
// For tests: as if Ctrl-C had been pressed.
void simulate_interrupt();

}  // namespace xg::cli
