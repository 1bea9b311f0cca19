// What the running command is doing, for the errors that carry no context of their own:
// main prints a std::bad_alloc as "out of memory while training epoch 3". The commands
// set the phase as they go; it is kept in a fixed buffer, so reading it allocates nothing.
#pragma once

namespace xg::cli {

// Sets the phase to `what` ("loading the data"), followed by `number` when it is >= 0
// ("training epoch", 3 gives "training epoch 3").
void set_phase(const char* what, long number = -1) noexcept;

// The phase last set ("starting" before the first set_phase).
const char* current_phase() noexcept;

}  // namespace xg::cli
