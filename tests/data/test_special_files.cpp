// Data and model files that are not regular files are refused at once: a FIFO would block
// the reader forever (issue 12, item 6), a directory cannot be read.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/check.hpp"
#include "xgrad/data/datasets.hpp"
#include "xgrad/data/idx.hpp"
#include "xgrad/nn/safetensors.hpp"

using namespace xg;
using xg::test::check_throws;

TEST_CASE("data and model readers refuse FIFOs and directories instead of blocking") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("xgrad_special_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string fifo = (dir / "data.fifo").string();
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Each call would wait for a writer forever if it opened the FIFO.
  check_throws<FormatError>([&] { data::csv(fifo); }, {"csv", fifo, "FIFO", "not a regular file"});
  check_throws<FormatError>([&] { data::read_idx(fifo); }, {fifo, "FIFO"});
  check_throws<FormatError>([&] { nn::load_tensors(fifo); }, {"not a regular file"});
  check_throws<FormatError>([&] { data::csv(dir.string()); }, {"csv", "a directory"});
  std::filesystem::remove_all(dir);
}
