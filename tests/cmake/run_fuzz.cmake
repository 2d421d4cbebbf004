# Builds one libFuzzer target with clang (ASan + UBSan) in a separate build and runs it for
# MAX_TOTAL_TIME seconds over a seed corpus (ctest tests fuzz.*): real ONNX models, or the files the
# target's source names.
# Arguments: NAME (fuzz_<x>), SOURCE, REPO_DIR, PROJECT_DIR (tests/fuzz/project), WORK_DIR, GENERATOR,
# CLANGXX (empty when not found), SHARED_DATA, MAX_TOTAL_TIME.
cmake_minimum_required(VERSION 3.21)

function(skip why)
  message("${NAME} skipped: ${why}")
  if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.29)
    cmake_language(EXIT 77)
  endif()
  return()  # older CMake: the test's SKIP_REGULAR_EXPRESSION recognises the message
endfunction()

function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${NAME}: ${step} failed (${rc}):\n  ${cmd}\n${out}")
  endif()
endfunction()

set(sanitizers "-fsanitize=fuzzer,address,undefined")

# clang must be there and able to link a libFuzzer program (Debian: clang + libclang-rt-*-dev).
set(probe_ok FALSE)
if(CLANGXX AND EXISTS "${CLANGXX}")
  set(probe_dir "${WORK_DIR}/probe")
  file(MAKE_DIRECTORY "${probe_dir}")
  file(WRITE "${probe_dir}/probe.cpp"
       "#include <cstddef>\n#include <cstdint>\n"
       "extern \"C\" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n")
  execute_process(COMMAND "${CLANGXX}" -std=c++17 ${sanitizers} probe.cpp -o probe
                  WORKING_DIRECTORY "${probe_dir}" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(rc EQUAL 0)
    set(probe_ok TRUE)
  endif()
endif()
if(NOT probe_ok)
  skip("clang with libFuzzer not found")
  return()
endif()

# A separate build (its own compiler and flags) that pulls Mutiny in with add_subdirectory. It is kept
# between runs, so a rerun only recompiles what changed.
set(build "${WORK_DIR}/build")
run("configure" "${CMAKE_COMMAND}" -S "${PROJECT_DIR}" -B "${build}" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CLANGXX}" "-DCMAKE_BUILD_TYPE="
    "-DMUTINY_SOURCE_DIR=${REPO_DIR}" "-DMUTINY_FUZZ_NAME=${NAME}" "-DMUTINY_FUZZ_SOURCE=${SOURCE}")
cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
run("build" "${CMAKE_COMMAND}" --build "${build}" --target "${NAME}" --parallel "${cores}")

# Seed corpus, made afresh each run (libFuzzer adds what it finds to it): the files a target names
# in a "// fuzz-seeds: GLOB..." line of its source (globs relative to the repository), else shared/data's
# ONNX models.
set(corpus "${WORK_DIR}/corpus")
set(artifacts "${WORK_DIR}/artifacts")
file(REMOVE_RECURSE "${corpus}")
file(MAKE_DIRECTORY "${corpus}" "${artifacts}")
file(STRINGS "${SOURCE}" seed_line REGEX "^// fuzz-seeds: ")
if(seed_line)
  string(REGEX REPLACE "^// fuzz-seeds: +" "" seed_globs "${seed_line}")
  separate_arguments(seed_globs UNIX_COMMAND "${seed_globs}")
  set(seed_root "${REPO_DIR}")
  set(seed_what "seed files from the repository")
else()
  set(seed_globs models/*.onnx models/*/*.onnx onnx/node/*/model.onnx)
  set(seed_root "${SHARED_DATA}")
  set(seed_what "seed models")
endif()
list(TRANSFORM seed_globs PREPEND "${seed_root}/")
file(GLOB seeds LIST_DIRECTORIES false ${seed_globs})
list(SORT seeds)
foreach(seed IN LISTS seeds)
  file(RELATIVE_PATH rel "${seed_root}" "${seed}")
  string(REGEX REPLACE "[^A-Za-z0-9_.-]" "_" flat "${rel}")
  file(COPY_FILE "${seed}" "${corpus}/${flat}")
endforeach()
list(LENGTH seeds n_seeds)
if(n_seeds EQUAL 0)
  message("${NAME}: no ${seed_what} under ${seed_root}; fuzzing from an empty corpus")
endif()

message("${NAME}: fuzzing for ${MAX_TOTAL_TIME} s from ${n_seeds} ${seed_what}")
execute_process(
  COMMAND "${build}/${NAME}" "-max_total_time=${MAX_TOTAL_TIME}" -timeout=30 -rss_limit_mb=4096
          -print_final_stats=1 "-artifact_prefix=${artifacts}/" "${corpus}"
  WORKING_DIRECTORY "${WORK_DIR}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NAME}: the fuzzer failed (exit ${rc}); the failing input is in ${artifacts}/ "
                      "(reproduce: ${build}/${NAME} <file>)")
endif()
message("${NAME}: no failure in ${MAX_TOTAL_TIME} s")
