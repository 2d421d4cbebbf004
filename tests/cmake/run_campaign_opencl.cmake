# Campaigns on the OpenCL device (ctest test cli.campaign_opencl_incremental). The shipped FCNN and
# LeNet-5 vanilla campaigns over 300 Fashion-MNIST test images give the same kill matrices on the
# CPU and on OpenCL, with one pre-existing exception: LeNet-5's m000144 (CW on /fc2/Gemm unit 1)
# kills image 98 on OpenCL only, a near tie of two logits that float rounding decides (the OpenCL
# campaign before incremental execution gave the same row). Then the device's incremental run
# (mutants from their first changed node on the original's activations in device memory) gives
# the bits of its whole run (--no-incremental: every mutant from the inputs), kill matrix and
# outputs, with fewer kernel launches and writes (MUTINY_OPENCL_STATS); and a device running out
# of memory mid-campaign (MUTINY_OPENCL_MEMORY_LIMIT).
#   CLI: the mutiny program; WORK_DIR: a scratch folder (emptied first).
cmake_minimum_required(VERSION 3.21)
include("${CMAKE_CURRENT_LIST_DIR}/campaign_test_helpers.cmake")  # run()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# The rows of kill matrix `file` (its header names the device), in VAR.
function(kill_rows file var)
  file(STRINGS "${file}" rows)
  list(REMOVE_AT rows 0)
  set(${var} "${rows}" PARENT_SCOPE)
endfunction()

# The counts of the MUTINY_OPENCL_STATS line in `text`, as VAR_launches, VAR_writes, VAR_bytes_written.
function(device_counts text var)
  if(NOT text MATCHES "opencl campaign device: ([0-9]+) kernel launches, ([0-9]+) writes \\(([0-9]+) bytes\\), ([0-9]+) reads")
    message(FATAL_ERROR "no MUTINY_OPENCL_STATS line in the output")
  endif()
  set(${var}_launches ${CMAKE_MATCH_1} PARENT_SCOPE)
  set(${var}_writes ${CMAKE_MATCH_2} PARENT_SCOPE)
  set(${var}_bytes_written ${CMAKE_MATCH_3} PARENT_SCOPE)
endfunction()

foreach(model fashion_fcnn fashion_lenet5)
  set(pre "")
  if(model STREQUAL "fashion_fcnn")
    set(pre --preprocess unit)
  endif()
  run("${model} on cpu,opencl" "${CLI}" campaign models/${model}.onnx --data fashion-mnist:test@first=300 ${pre} --ops vanilla --batch 100
      --threads 2 --kill prediction --quiet --device cpu,opencl --out "${WORK_DIR}/${model}")
  kill_rows("${WORK_DIR}/${model}/kill_matrix-cpu.txt" cpu)
  kill_rows("${WORK_DIR}/${model}/kill_matrix-opencl.txt" ocl)
  list(LENGTH cpu n)
  if(n LESS 400)
    message(FATAL_ERROR "${model}: ${n} kill-matrix rows, expected the vanilla campaign's hundreds")
  endif()
  list(FILTER cpu EXCLUDE REGEX "^m000144 ")
  list(FILTER ocl EXCLUDE REGEX "^m000144 ")
  if(NOT cpu STREQUAL ocl)
    message(FATAL_ERROR "${model}: the CPU and OpenCL kill matrices differ")
  endif()
  message("${model}: CPU and OpenCL kill matrices identical (${n} mutants)")
endforeach()

# LeNet-5's CW mutants over one batch: incremental and whole mutants on the device, same bits.
set(common campaign models/fashion_lenet5.onnx --data fashion-mnist:test@first=100 --ops CW --batch 100 --kill prediction --outputs --quiet --device opencl)
run("CW on opencl" ${CMAKE_COMMAND} -E env MUTINY_OPENCL_STATS=1 "${CLI}" ${common} --out "${WORK_DIR}/cw")
device_counts("${err}" inc)
if(NOT err MATCHES "the original held ([0-9]+) bytes")
  message(FATAL_ERROR "the stats line does not give the original's device memory")
endif()
math(EXPR limit "${CMAKE_MATCH_1} + 100000")
run("CW on opencl, whole mutants" ${CMAKE_COMMAND} -E env MUTINY_OPENCL_STATS=1 "${CLI}" ${common} --no-incremental --out "${WORK_DIR}/cw-whole")
device_counts("${err}" whole)
foreach(f kill_matrix-opencl.txt outputs-opencl.f32)
  file(SHA256 "${WORK_DIR}/cw/${f}" a)
  file(SHA256 "${WORK_DIR}/cw-whole/${f}" b)
  if(NOT a STREQUAL b)
    message(FATAL_ERROR "incremental and whole mutants on OpenCL: ${f} differs")
  endif()
endforeach()
if(NOT inc_launches LESS whole_launches OR NOT inc_writes LESS whole_writes OR NOT inc_bytes_written LESS whole_bytes_written)
  message(FATAL_ERROR "the incremental device campaign enqueued no less (launches ${inc_launches} vs ${whole_launches}, "
                      "writes ${inc_writes} vs ${whole_writes}, bytes ${inc_bytes_written} vs ${whole_bytes_written})")
endif()
message("CW: identical kill matrix and outputs; launches ${inc_launches} vs ${whole_launches}, writes ${inc_writes} vs ${whole_writes} "
        "(${inc_bytes_written} vs ${whole_bytes_written} bytes)")

# Out of device memory: the same with 100,000 bytes more than the original needs. That holds no second set of activations, so the device
# stops keeping the original's (mutants recompute the prefix); a mutant of /fc1/Gemm (its own
# 192,000-byte weight copy) fits in no way and is marked crashed with the reason, a mutant of any
# other layer (own weights of at most 40,320 bytes) runs and keeps its kill-matrix row.
run("CW on opencl within ${limit} bytes" ${CMAKE_COMMAND} -E env MUTINY_OPENCL_STATS=1 MUTINY_OPENCL_MEMORY_LIMIT=${limit} "${CLI}" ${common}
    --out "${WORK_DIR}/cw-limited")
if(NOT err MATCHES "mutants recomputed the prefix")
  message(FATAL_ERROR "within ${limit} bytes the original's activations should have been dropped")
endif()
file(STRINGS "${WORK_DIR}/cw/mutants.csv" rows_full)
file(STRINGS "${WORK_DIR}/cw-limited/mutants.csv" rows_limited)
file(STRINGS "${WORK_DIR}/cw/kill_matrix-opencl.txt" km_full)
file(STRINGS "${WORK_DIR}/cw-limited/kill_matrix-opencl.txt" km_limited)
list(LENGTH rows_full n)
math(EXPR last "${n} - 1")
set(marked 0)
set(ran 0)
foreach(i RANGE 1 ${last})
  list(GET rows_limited ${i} row)
  list(GET km_full ${i} full)
  list(GET km_limited ${i} limited)
  if(row MATCHES ",/fc1/Gemm,")
    if(NOT row MATCHES ",crashed,.*mutant too large for the device at OpenCL device .*constant 'fc1.weight' needs 192000 bytes")
      message(FATAL_ERROR "an /fc1/Gemm mutant within ${limit} bytes is not marked too large: ${row}")
    endif()
    math(EXPR marked "${marked} + 1")
  else()
    if(row MATCHES ",crashed," OR NOT full STREQUAL limited)
      message(FATAL_ERROR "a mutant that fits changed within ${limit} bytes: ${row} (kill row ${limited} vs ${full})")
    endif()
    math(EXPR ran "${ran} + 1")
  endif()
endforeach()
if(marked EQUAL 0 OR ran EQUAL 0)
  message(FATAL_ERROR "expected both marked and running mutants (${marked} marked, ${ran} ran)")
endif()
message("within ${limit} bytes: ${marked} /fc1/Gemm mutants marked too large for the device, ${ran} others identical")
