// The command's current phase (phase.hpp).
#include "tools/xgrad/phase.hpp"

#include <cstdio>

namespace xg::cli {

namespace {
char g_phase[128] = "starting";
}  // namespace

void set_phase(const char* what, long number) noexcept {
  if (number >= 0) {
    std::snprintf(g_phase, sizeof g_phase, "%s %ld", what, number);
  } else {
    std::snprintf(g_phase, sizeof g_phase, "%s", what);
  }
}

const char* current_phase() noexcept { return g_phase; }

}  // namespace xg::cli
