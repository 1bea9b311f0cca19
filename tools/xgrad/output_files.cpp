#include "tools/xgrad/output_files.hpp"

#include <filesystem>
#include <system_error>

#include "xgrad/autograd/atomic_file.hpp"

namespace xg::cli {

namespace fs = std::filesystem;

std::vector<std::string> input_files(const DataSpec& data, const std::string& model) {
  std::vector<std::string> out = data.paths;
  if (!model.empty()) out.push_back(model);
  return out;
}

void check_output(const std::string& flag, const std::string& path,
                  const std::vector<std::string>& inputs) {
  check_output_target(flag, path);
  check_not_an_input(flag, path, std::vector<fs::path>(inputs.begin(), inputs.end()));
}

namespace {

// A fallback file's name that does not exist yet in `dir`.
fs::path unused_name(const fs::path& dir, const std::string& name) {
  fs::path candidate = dir / name;
  std::error_code ec;
  for (int i = 2; fs::exists(fs::symlink_status(candidate, ec)) && i < 1000; ++i) {
    candidate = dir / (name + "-" + std::to_string(i));
  }
  return candidate;
}

}  // namespace

std::string save_with_fallback(const std::string& path,
                               const std::function<void(const std::string&)>& save) {
  std::string failure;
  try {
    save(path);
    return "";
  } catch (const std::exception& e) {
    failure = "cannot save to '" + path + "' (" + e.what() + ")";
  }
  const std::string name = fs::path(path).filename().string() + ".recovered";
  std::vector<fs::path> dirs = {fs::path()};  // the current directory
  std::error_code ec;
  const fs::path temp_dir = fs::temp_directory_path(ec);
  if (!ec && !fs::equivalent(temp_dir, ".", ec)) dirs.push_back(temp_dir);
  std::string fallback_failure;
  for (const fs::path& dir : dirs) {
    const fs::path fallback = unused_name(dir, name);
    try {
      save(fallback.string());
      return failure + "; the model was saved to " + fallback.string() + " instead";
    } catch (const std::exception& e) {
      fallback_failure = e.what();
    }
  }
  return failure + "; no fallback file could be written either (" + fallback_failure + ")";
}

}  // namespace xg::cli
