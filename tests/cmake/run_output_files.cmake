# Output files are replaced whole or not at all (ctest test cli.output_files_kept_on_failure): a
# `cluster --out FILE` or `run --out FILE` that fails leaves an existing FILE as it was and no
# temporary (.FILE.tmp, or the old FILE.tmp) behind; one that succeeds replaces FILE.
#   CLI: the mutiny program; WORK_DIR: a scratch folder (emptied first).
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/images")

# expect(RC WHAT COMMAND...): runs the command, fails unless it exits with RC.
function(expect want what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  message("${what}: exit ${rc}: ${o}${e}")
  if(NOT rc EQUAL want)
    message(FATAL_ERROR "${what}: exit code ${rc}, expected ${want}")
  endif()
endfunction()
function(check_kept file what)
  file(READ "${file}" content)
  if(NOT content STREQUAL "previous\n")
    message(FATAL_ERROR "${what}: ${file} was changed to '${content}'")
  endif()
  file(GLOB left "${WORK_DIR}/.*.tmp" "${WORK_DIR}/*.tmp")
  if(left)
    message(FATAL_ERROR "${what}: temporaries left behind: ${left}")
  endif()
endfunction()

# cluster: the labels file cannot be created (its folder does not exist) after the matrix was written.
file(WRITE "${WORK_DIR}/linkage.csv" "previous\n")
expect(1 "cluster with an unwritable --labels" "${CLI}" cluster tests/fixtures/cluster/small.csv --maxclust 2
       --out "${WORK_DIR}/linkage.csv" --labels "${WORK_DIR}/no-such-folder/labels.csv")
check_kept("${WORK_DIR}/linkage.csv" "failed cluster")
expect(0 "cluster" "${CLI}" cluster tests/fixtures/cluster/small.csv --out "${WORK_DIR}/linkage.csv")
file(STRINGS "${WORK_DIR}/linkage.csv" rows)
list(LENGTH rows n)
if(NOT n EQUAL 11)
  message(FATAL_ERROR "cluster wrote ${n} rows, expected 11")
endif()

# run: the second image does not decode, after the first one's row was written.
file(COPY_FILE "${SHARED}/images/mnist_glow/0_1009.png" "${WORK_DIR}/images/a.png")
file(WRITE "${WORK_DIR}/images/b.png" "not an image")
file(WRITE "${WORK_DIR}/out.csv" "previous\n")
expect(1 "run over a broken image" "${CLI}" run models/fashion_fcnn.onnx --images "${WORK_DIR}/images" --preprocess unit --batch 1
       --out "${WORK_DIR}/out.csv")
check_kept("${WORK_DIR}/out.csv" "failed run")
