# The fuzz targets (tests/fuzz/fuzz_<x>.cpp), built with clang (libFuzzer, ASan, UBSan) in a separate
# build and run over their seed corpora. Used by ctest (fuzz.build, then one fuzz.<x> per target) and
# by scripts/fuzz.sh.
#   MODE=build: REPO_DIR, WORK_DIR, GENERATOR, CLANGXX (empty when not found), optional TARGETS
#               (names joined by "|"; default all), JOBS (default: the logical cores), LIB_OPT
#               (optimisation of the instrumented compiled part; default the project's -O0).
#   MODE=run:   NAME (fuzz_<x>), SOURCE, REPO_DIR, WORK_DIR, SHARED_DATA, and MAX_TOTAL_TIME
#               (seconds) or RUNS (executions); optional CORPUS (a folder kept between runs; default
#               a fresh one per run under WORK_DIR).
# The build folder is WORK_DIR/build; corpora and failing inputs are WORK_DIR/<name>/.
cmake_minimum_required(VERSION 3.21)

function(skip why)
  message("fuzz skipped: ${why}")
  if(CMAKE_VERSION VERSION_GREATER_EQUAL 3.29)
    cmake_language(EXIT 77)
  endif()
endfunction()

function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "${step} failed (${rc}):\n  ${cmd}\n${out}")
  endif()
endfunction()

set(build "${WORK_DIR}/build")
set(no_clang "${WORK_DIR}/no-libfuzzer")

if(MODE STREQUAL "build")
  # clang must be there and able to link a libFuzzer program (Debian: clang + libclang-rt-*-dev).
  set(probe_ok FALSE)
  if(CLANGXX AND EXISTS "${CLANGXX}")
    set(probe_dir "${WORK_DIR}/probe")
    file(MAKE_DIRECTORY "${probe_dir}")
    file(WRITE "${probe_dir}/probe.cpp"
         "#include <cstddef>\n#include <cstdint>\n"
         "extern \"C\" int LLVMFuzzerTestOneInput(const uint8_t*, size_t) { return 0; }\n")
    execute_process(COMMAND "${CLANGXX}" -std=c++17 -fsanitize=fuzzer,address,undefined probe.cpp -o probe
                    WORKING_DIRECTORY "${probe_dir}" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
    if(rc EQUAL 0)
      set(probe_ok TRUE)
    endif()
  endif()
  if(NOT probe_ok)
    file(WRITE "${no_clang}" "")
    skip("clang with libFuzzer not found")
    return()
  endif()
  file(REMOVE "${no_clang}")
  # Kept between runs, so a rerun only recompiles what changed.
  set(opt "")
  if(LIB_OPT)
    set(opt "-DMUTINY_FUZZ_LIB_OPT=${LIB_OPT}")
  endif()
  run("configuring the fuzz build" "${CMAKE_COMMAND}" -S "${REPO_DIR}/tests/fuzz/project" -B "${build}" -G "${GENERATOR}"
      "-DCMAKE_CXX_COMPILER=${CLANGXX}" "-DCMAKE_BUILD_TYPE=" "-DMUTINY_SOURCE_DIR=${REPO_DIR}" ${opt})
  if(NOT JOBS)
    cmake_host_system_information(RESULT JOBS QUERY NUMBER_OF_LOGICAL_CORES)
  endif()
  set(targets "")
  if(TARGETS)
    string(REPLACE "|" ";" names "${TARGETS}")
    foreach(t IN LISTS names)
      list(APPEND targets --target "${t}")
    endforeach()
  endif()
  run("building the fuzz targets" "${CMAKE_COMMAND}" --build "${build}" ${targets} --parallel "${JOBS}")
  message("fuzz targets built in ${build}")
  return()
endif()

if(NOT MODE STREQUAL "run")
  message(FATAL_ERROR "run_fuzz.cmake: MODE must be build or run")
endif()
if(EXISTS "${no_clang}" AND NOT EXISTS "${build}/${NAME}")
  skip("clang with libFuzzer not found")
  return()
endif()

# Seed corpus, copied afresh (libFuzzer adds what it finds to it): the files a target names in a
# "// fuzz-seeds: GLOB..." line of its source (globs relative to the repository: its committed
# corpus under tests/fuzz/corpus/ and fixtures), else shared/data's ONNX models.
set(dir "${WORK_DIR}/${NAME}")
if(CORPUS)
  set(corpus "${CORPUS}")
else()
  set(corpus "${dir}/corpus")
  file(REMOVE_RECURSE "${corpus}")
endif()
set(artifacts "${dir}/artifacts")
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

if(RUNS)
  set(limit "-runs=${RUNS}")
  set(how "${RUNS} executions")
else()
  set(limit "-max_total_time=${MAX_TOTAL_TIME}")
  set(how "${MAX_TOTAL_TIME} s")
endif()
message("${NAME}: fuzzing for ${how} from ${n_seeds} ${seed_what}")
# -rss_limit_mb: no input of a few KB may make Mutiny use more (the tensor budget is set lower by
# the targets that build tensors); -timeout: no input may take 30 s.
execute_process(
  COMMAND "${build}/${NAME}" ${limit} -timeout=30 -rss_limit_mb=2048
          -print_final_stats=1 "-artifact_prefix=${artifacts}/" "${corpus}"
  WORKING_DIRECTORY "${dir}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NAME}: the fuzzer failed (exit ${rc}); the failing input is in ${artifacts}/ "
                      "(reproduce: ${build}/${NAME} <file>)")
endif()
message("${NAME}: no failure in ${how}")
