# Builds a tiny outside project (consumer/) against xgrad in the two supported ways:
#   (a) `cmake --install` the already-built project (XGRAD_BUILD_DIR) into WORK_DIR/prefix,
#       then find_package(xgrad) with CMAKE_PREFIX_PATH pointing there;
#   (b) add_subdirectory(<xgrad source>) from the consumer.
# Each consumer is run and must check its gradient. Any failing step stops the test with
# that step's output.
#
# When the `xgrad` program was built (XGRAD_WITH_TOOLS), its installed copy must also run.
#
# Usage: cmake -DXGRAD_SOURCE_DIR=<src> -DXGRAD_BUILD_DIR=<build> -DWORK_DIR=<dir>
#              [-DXGRAD_WITH_TOOLS=1] -P run_install_test.cmake
# WORK_DIR is kept between runs so that re-running is incremental; the prefix is
# reinstalled from scratch every time.
cmake_minimum_required(VERSION 3.25)

foreach(var XGRAD_SOURCE_DIR XGRAD_BUILD_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "run_install_test: pass -D${var}=...")
  endif()
endforeach()

set(consumer_dir ${CMAKE_CURRENT_LIST_DIR}/consumer)
set(prefix ${WORK_DIR}/prefix)
# Two jobs at most: CI machines have two cores and other tests may run beside this one.
set(jobs 2)

# Runs one step; on failure prints its command and output and stops.
function(run_step name)
  string(TIMESTAMP start "%s")
  execute_process(COMMAND ${ARGN}
                  RESULT_VARIABLE result
                  OUTPUT_VARIABLE output
                  ERROR_VARIABLE output)
  string(TIMESTAMP stop "%s")
  math(EXPR seconds "${stop} - ${start}")
  if(NOT result EQUAL 0)
    list(JOIN ARGN " " command)
    message(FATAL_ERROR "install test: step '${name}' failed (${result}).\n"
                        "command: ${command}\n${output}")
  endif()
  message(STATUS "ok: ${name} (${seconds} s)")
  set(step_output "${output}" PARENT_SCOPE)
endfunction()

# --- (a) install, then find_package --------------------------------------------------
# The library was built with the tests; installing it from that build is what a user's
# `cmake --install build` does, without compiling it a second time.
file(REMOVE_RECURSE ${prefix})
run_step("install xgrad"
  ${CMAKE_COMMAND} --install ${XGRAD_BUILD_DIR} --prefix ${prefix})

foreach(file include/xgrad.hpp include/xgrad/autograd/tensor.hpp include/xgrad/nn/module.hpp)
  if(NOT EXISTS ${prefix}/${file})
    message(FATAL_ERROR "install test: ${prefix}/${file} was not installed")
  endif()
endforeach()
# The installed headers name each other "xgrad/...", and only headers that are installed
# (never a detail/ one): the include folder works on its own.
file(GLOB_RECURSE headers RELATIVE ${prefix}/include ${prefix}/include/*.hpp)
foreach(header ${headers})
  file(STRINGS ${prefix}/include/${header} includes REGEX "^#include \"")
  foreach(line ${includes})
    string(REGEX REPLACE "^#include \"([^\"]*)\".*" "\\1" name "${line}")
    if(NOT name MATCHES "^xgrad/" OR NOT EXISTS ${prefix}/include/${name})
      message(FATAL_ERROR "install test: the installed ${header} includes \"${name}\", "
                          "which is not installed under that name")
    endif()
  endforeach()
endforeach()
file(GLOB_RECURSE config_files ${prefix}/*/xgradConfig.cmake)
if(NOT config_files)
  message(FATAL_ERROR "install test: no xgradConfig.cmake under ${prefix}")
endif()

# The installed program must start from the prefix alone: it finds libxgrad through its
# RPATH, not through LD_LIBRARY_PATH or the build tree.
if(XGRAD_WITH_TOOLS)
  run_step("run installed xgrad --help"
    ${CMAKE_COMMAND} -E env --unset=LD_LIBRARY_PATH ${prefix}/bin/xgrad --help)
  if(NOT step_output MATCHES "Usage:")
    message(FATAL_ERROR "install test: ${prefix}/bin/xgrad --help printed no usage:\n"
                        "${step_output}")
  endif()
endif()

run_step("configure consumer (find_package)"
  ${CMAKE_COMMAND} -S ${consumer_dir} -B ${WORK_DIR}/consumer_installed -G Ninja
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix})
run_step("build consumer (find_package)"
  ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer_installed -j ${jobs})
run_step("run consumer (find_package)" ${WORK_DIR}/consumer_installed/app)
message(STATUS "${step_output}")

# --- (b) add_subdirectory ------------------------------------------------------------
run_step("configure consumer (add_subdirectory)"
  ${CMAKE_COMMAND} -S ${consumer_dir} -B ${WORK_DIR}/consumer_subdir -G Ninja
  -DCMAKE_BUILD_TYPE=Release -DXGRAD_SOURCE_DIR=${XGRAD_SOURCE_DIR})
run_step("build consumer (add_subdirectory)"
  ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer_subdir -j ${jobs})
run_step("run consumer (add_subdirectory)" ${WORK_DIR}/consumer_subdir/app)
message(STATUS "${step_output}")
