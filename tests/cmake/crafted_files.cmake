# cli.crafted_files: no crafted file may crash mutiny, hang it or make it use more memory than a
# small file can justify (issue 15, "done when"). Each call runs under tests/support/limited_run.cpp
# with an address-space limit and a hang timeout, and must end by exiting with 0, 1 or 2 (no
# signal, no timeout) with a peak resident memory under MAX_RSS_MIB.
#   LIMITED_RUN, CLI: the programs; AS_MIB, TIMEOUT, MAX_RSS_MIB: the limits.
# Run from the repository root. The calls: `inspect` and `run` (fed a 3x3 IDX image, which the
# crafted models take) on every tests/fixtures/crafted/*.onnx and the native fuzz seeds; `run` of a
# real model on every IDX, CIFAR and image fuzz seed (the data files being the crafted input; the
# seeds include the inputs fuzzing found, tests/fuzz/corpus/*/regress_*).
cmake_minimum_required(VERSION 3.21)

set(scratch "${WORK_DIR}")
file(REMOVE_RECURSE "${scratch}")
file(MAKE_DIRECTORY "${scratch}")
set(failures "")
set(count 0)

function(check)
  string(REPLACE ";" " " cmd "${ARGN}")
  execute_process(COMMAND "${LIMITED_RUN}" "${AS_MIB}" "${TIMEOUT}" "${CLI}" ${ARGN}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  math(EXPR n "${count} + 1")
  set(count ${n} PARENT_SCOPE)
  string(STRIP "${out}" out)
  # mutiny's own output goes to the wrapper's stdout first; the wrapper's line is the last.
  string(REGEX MATCH "(exit=[0-9]+|signal=[0-9]+|timeout) peak_rss_mib=([0-9]+)$" line "${out}")
  set(rss "${CMAKE_MATCH_2}")
  set(bad "")
  if(NOT rc EQUAL 0 OR NOT line)
    set(bad "the wrapper failed (${rc}): ${out}${err}")
  elseif(NOT line MATCHES "^exit=[012] ")
    set(bad "${line}")
  elseif(rss GREATER_EQUAL MAX_RSS_MIB)
    set(bad "${line} (more than ${MAX_RSS_MIB} MiB)")
  endif()
  string(REGEX MATCH "error: [^\n]*" msg "${err}")
  if(bad)
    message("FAIL mutiny ${cmd}: ${bad}\n  ${msg}")
    set(failures "${failures}\n  mutiny ${cmd}: ${bad}" PARENT_SCOPE)
  else()
    message("ok   mutiny ${cmd}: ${line} ${msg}")
  endif()
endfunction()

file(GLOB models LIST_DIRECTORIES false tests/fixtures/crafted/*.onnx tests/fuzz/corpus/native/*)
list(SORT models)
foreach(m IN LISTS models)
  get_filename_component(stem "${m}" NAME_WE)
  check(inspect "${m}")
  check(run "${m}" --data idx:tests/fuzz/corpus/idx/images_u8_2x3x3.idx --batch 1 --threads 1 --out "${scratch}/${stem}.csv")
endforeach()

file(GLOB idx_files LIST_DIRECTORIES false tests/fuzz/corpus/idx/*)
file(GLOB cifar_files LIST_DIRECTORIES false tests/fuzz/corpus/cifar/*)
list(SORT idx_files)
list(SORT cifar_files)
foreach(f IN LISTS idx_files)
  check(run models/fashion_fcnn.onnx --data "idx:${f}" --threads 1 --out "${scratch}/data.csv")
endforeach()
foreach(f IN LISTS cifar_files)
  check(run models/fashion_fcnn.onnx --data "cifar:${f}" --preprocess gray --threads 1 --out "${scratch}/data.csv")
endforeach()
# One folder per image, so that each is decoded (a run stops at its first bad sample).
file(GLOB images LIST_DIRECTORIES false tests/fuzz/corpus/image/*)
list(SORT images)
foreach(f IN LISTS images)
  get_filename_component(name "${f}" NAME)
  file(MAKE_DIRECTORY "${scratch}/images/${name}")
  file(COPY_FILE "${f}" "${scratch}/images/${name}/${name}")
  check(run models/fashion_fcnn.onnx --data "images:${scratch}/images/${name}" --preprocess gray --threads 1 --out "${scratch}/data.csv")
endforeach()

if(failures)
  message(FATAL_ERROR "${failures}")
endif()
message("all ${count} calls ended with exit code 0, 1 or 2 within ${TIMEOUT} s and under ${MAX_RSS_MIB} MiB")
