// Checks shared by the data/ readers before they open a file. Not installed.
#pragma once

#include <sys/stat.h>

#include <string>

#include "autograd/errors.hpp"

namespace xg::data::detail {

// Throws FormatError unless `path` names a regular file (following symlinks): a FIFO or a
// device would block or never end, a directory cannot be read. A missing file is left to
// the caller's "cannot open" error. Checked with stat, which does not open the file
// (opening a FIFO blocks until a writer comes).
inline void check_regular_file(const char* op, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return;
  const char* what = S_ISDIR(st.st_mode)    ? "a directory"
                     : S_ISFIFO(st.st_mode) ? "a FIFO"
                     : S_ISSOCK(st.st_mode) ? "a socket"
                                            : "a device or special file";
  throw FormatError(std::string(op) + ": " + path + " is " + what +
                    ", not a regular file; give a data file");
}

}  // namespace xg::data::detail
