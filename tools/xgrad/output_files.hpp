// The files a command writes: checked before the long work starts, written atomically
// (xgrad/autograd/atomic_file.hpp), and a trained model that cannot go where it was asked
// to goes to a fallback file instead of being lost.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tools/xgrad/data_source.hpp"

namespace xg::cli {

// The files a run reads: the data files of `data` and, for eval, the model file.
std::vector<std::string> input_files(const DataSpec& data, const std::string& model = {});

// Refuses (before any work) an output `path` given by `flag` that is not a regular file or
// that is one of `inputs` (xg::check_output_target, xg::check_not_an_input).
void check_output(const std::string& flag, const std::string& path,
                  const std::vector<std::string>& inputs);

// Calls save(path). When that throws, calls save() with a fallback path named after
// `path` ("NAME.recovered" in the current directory, else in the temporary directory; an
// existing file is never replaced: "NAME.recovered-2", ...). Returns "" when `path` was
// written; otherwise the message to report: why `path` failed and where the model went
// (or that no fallback could be written either).
std::string save_with_fallback(const std::string& path,
                               const std::function<void(const std::string&)>& save);

}  // namespace xg::cli
