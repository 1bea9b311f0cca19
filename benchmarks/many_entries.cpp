// Model files and models with many entries: seconds to read a safetensors file of N small
// tensors (the header parse dominates: ~60 bytes of JSON a tensor), and to build, walk,
// save and reload a Sequential of N Linear(1, 1) layers. Both must grow linearly with N.
//
// Usage: many_entries load N...     files of N tensors (tests/support/many_tensors.hpp)
//        many_entries layers N...   Sequential of N Linear(1, 1)
// One line per N: the times in seconds. Files go to the system's temporary directory.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <xgrad.hpp>

#include "support/many_tensors.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::string scratch(const char* what) {
  return (std::filesystem::temp_directory_path() /
          ("xgrad-many-entries-" + std::to_string(::getpid()) + what))
      .string();
}

void time_load(std::int64_t n) {
  const std::string path = scratch(".safetensors");
  const std::string bytes = xg::test::many_tensors_file(n);
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  const auto start = clock_type::now();
  const auto tensors = xg::nn::load_tensors(path);
  const double s = seconds_since(start);
  std::filesystem::remove(path);
  std::printf("load %lld tensors (%.1f MB file): %.3f s\n", static_cast<long long>(n),
              static_cast<double>(bytes.size()) / 1e6, s);
  if (tensors.size() != static_cast<std::size_t>(n)) std::abort();
}

void time_layers(std::int64_t n) {
  auto start = clock_type::now();
  xg::nn::Sequential model;
  for (std::int64_t i = 0; i < n; ++i) model.push_back(xg::nn::Linear(1, 1));
  const double build = seconds_since(start);
  start = clock_type::now();
  const xg::nn::StateDict state = model.state_dict();
  const double walk = seconds_since(start);
  const std::string path = scratch("-layers.safetensors");
  start = clock_type::now();
  xg::nn::save(model, path);
  const double save = seconds_since(start);
  start = clock_type::now();
  xg::nn::load(model, path);
  const double load = seconds_since(start);
  start = clock_type::now();
  const std::string text = model.repr();
  const double print = seconds_since(start);
  std::filesystem::remove(path);
  std::printf(
      "%lld layers: build %.3f s, state_dict %.3f s, save %.3f s, load %.3f s, repr %.3f s\n",
      static_cast<long long>(n), build, walk, save, load, print);
  if (state.size() != static_cast<std::size_t>(2 * n) || text.empty()) std::abort();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string what = argc > 1 ? argv[1] : "";
  if (argc < 3 || (what != "load" && what != "layers")) {
    std::fprintf(stderr, "usage: %s load|layers N...\n", argv[0]);
    return 2;
  }
  for (int i = 2; i < argc; ++i) {
    const std::int64_t n = std::atoll(argv[i]);
    if (what == "load") time_load(n);
    if (what == "layers") time_layers(n);
    std::fflush(stdout);
  }
  return 0;
}
