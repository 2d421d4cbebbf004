# Shards (ctest test cli.campaign_shards): a campaign run as N = 1, 2, 3 and 16 shards
# (`campaign --shard K/N`), merged with `mutiny merge` given the folders in shuffled order, writes
# the report.json (timing aside), mutants.csv (timing column aside) and kill matrix of the one-process
# run, byte for byte; one shard of N = 3 runs with another --batch (results do not depend on it).
# Then the refusals, each exit 1 with one line naming the problem: a missing shard, a duplicate,
# a shard of another model, a shard of another data set of the same size, an unfinished shard.
#   CLI: the mutiny program; WORK_DIR: a scratch folder (emptied first).
cmake_minimum_required(VERSION 3.21)
include("${CMAKE_CURRENT_LIST_DIR}/campaign_test_helpers.cmake")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(common campaign models/fashion_lenet5.onnx --data fashion-mnist:test@first=100 --ops vanilla --batch 64 --threads 1
    --kill prediction,killed-classes:mutant-label,statistical --quiet)

# refused(REGEX COMMAND...): exit 1 and exactly one line on stderr matching REGEX.
function(refused regex)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  message("${o}${e}")
  if(NOT rc EQUAL 1 OR NOT e MATCHES "^mutiny merge: error: ${regex}[^\n]*\n$")
    message(FATAL_ERROR "expected exit 1 and one line matching '${regex}', got ${rc}: ${e}")
  endif()
endfunction()

run("single process" "${CLI}" ${common} --out "${WORK_DIR}/single")
foreach(n 1 2 3 16)
  set(dirs "")
  foreach(k RANGE 1 ${n})
    set(extra "")
    if(n EQUAL 3 AND k EQUAL 2)
      set(extra --batch 30)
    endif()
    run("shard ${k}/${n}" "${CLI}" ${common} ${extra} --shard ${k}/${n} --out "${WORK_DIR}/n${n}/s${k}")
    if(NOT out MATCHES "shard ${k}/${n}: [0-9]+ of 708 mutants")
      message(FATAL_ERROR "shard ${k}/${n} did not say what it ran")
    endif()
    # Shuffled: every other shard to the front.
    math(EXPR odd "${k} % 2")
    if(odd)
      list(APPEND dirs "${WORK_DIR}/n${n}/s${k}")
    else()
      list(PREPEND dirs "${WORK_DIR}/n${n}/s${k}")
    endif()
  endforeach()
  run("merge of ${n} shards" "${CLI}" merge ${dirs} --out "${WORK_DIR}/n${n}/merged")
  if(NOT out MATCHES "merged ${n} shards: 708 mutants x 100 inputs")
    message(FATAL_ERROR "merge of ${n} shards did not say what it merged")
  endif()
  expect_same_campaign("${WORK_DIR}/single" "${WORK_DIR}/n${n}/merged" "${n} shards merged")
endforeach()
message("N = 1, 2, 3, 16: merged reports identical to the single run")

# Refusals.
refused("missing shard 2/3 at merge: 2 of 3 given" "${CLI}" merge "${WORK_DIR}/n3/s3" "${WORK_DIR}/n3/s1" --out "${WORK_DIR}/bad")
refused("shard 1/2 given twice at .*n2/s1 and .*n2/s1" "${CLI}" merge "${WORK_DIR}/n2/s1" "${WORK_DIR}/n2/s2" "${WORK_DIR}/n2/s1" --out "${WORK_DIR}/bad")
refused("parts of different splits at shard 1/3 at .*n3/s1 and shard 1/2 at .*n2/s1" "${CLI}" merge "${WORK_DIR}/n2/s1" "${WORK_DIR}/n3/s1" --out "${WORK_DIR}/bad")
run("a shard of another model" "${CLI}" campaign models/fashion_fcnn.onnx --data fashion-mnist:test@first=100 --ops vanilla --batch 64 --threads 1
    --kill prediction,killed-classes:mutant-label,statistical --quiet --shard 2/2 --out "${WORK_DIR}/other_model")
refused("parts of different campaigns at shard 2/2 at .*other_model and shard 1/2 at .*n2/s1: it has 'model fnv1a64:[0-9a-f]+' where this campaign has 'model fnv1a64:[0-9a-f]+'"
        "${CLI}" merge "${WORK_DIR}/n2/s1" "${WORK_DIR}/other_model" --out "${WORK_DIR}/bad")
# The same number of inputs from the training set: only the data's fingerprint tells them apart.
string(REPLACE "fashion-mnist:test@first=100" "fashion-mnist:train@first=100" other_data "${common}")
run("a shard of other data" "${CLI}" ${other_data} --shard 2/2 --out "${WORK_DIR}/other_data")
refused("parts of different campaigns at shard 2/2 at .*other_data and shard 1/2 at .*n2/s1: it has 'data 100 inputs fnv1a64:[0-9a-f]+' where this campaign has 'data 100 inputs fnv1a64:[0-9a-f]+'"
        "${CLI}" merge "${WORK_DIR}/n2/s1" "${WORK_DIR}/other_data" --out "${WORK_DIR}/bad")
file(MAKE_DIRECTORY "${WORK_DIR}/unfinished")
refused("no shard result at .*unfinished/shard.bin: the shard has not finished" "${CLI}" merge "${WORK_DIR}/n2/s1" "${WORK_DIR}/unfinished" --out "${WORK_DIR}/bad")
if(EXISTS "${WORK_DIR}/bad")
  message(FATAL_ERROR "a refused merge wrote ${WORK_DIR}/bad")
endif()
message("refused: a missing shard, a duplicate, another split, another model, another data set, an unfinished shard")
