# campaign --mutants FILE runs exactly the list `mutiny mutants MODEL --out FILE` wrote, after hand
# editing too, and refuses a list for another model or with a malformed line (ctest cli.mutant_list).
#   CLI: the program; WORK_DIR: a scratch folder. Runs from the repository root.
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(list "${WORK_DIR}/fcnn.txt")
set(edited "${WORK_DIR}/edited.txt")
set(data "fashion-mnist:test@first=40")

include("${CMAKE_CURRENT_LIST_DIR}/cli_run.cmake")

# 1. The list: 160 CW(p=0.2) and 160 NEB mutants of fashion_fcnn.
run(0 mutants models/fashion_fcnn.onnx --ops "CW(p=0.2),NEB" --out "${list}")
file(STRINGS "${list}" lines)
list(LENGTH lines n)
if(NOT n EQUAL 323)
  message(FATAL_ERROR "the list has ${n} lines, expected 3 header lines and 320 specs")
endif()
list(GET lines 1 hash_line)
if(NOT hash_line MATCHES "^# model-hash: fnv1a64:[0-9a-f]+ models/fashion_fcnn.onnx$")
  message(FATAL_ERROR "line 2 is '${hash_line}', not the model's identity")
endif()

# 2. Edited by hand: three specs kept (one with its parameter changed to p=0.3), the rest deleted.
set(kept "")
foreach(line IN LISTS lines)
  if(line MATCHES "^#" OR line MATCHES "^id=m000(001|007|197) ")
    string(REPLACE "units:6 seed=0 p=0.2" "units:6 seed=0 p=0.3" line "${line}")
    string(APPEND kept "${line}\n")
  endif()
endforeach()
file(WRITE "${edited}" "${kept}")
run(0 campaign models/fashion_fcnn.onnx --data ${data} --mutants "${edited}" --out "${WORK_DIR}/run" --quiet)
file(STRINGS "${WORK_DIR}/run/mutants.csv" rows)
list(POP_FRONT rows)  # the header
set(got "")
foreach(row IN LISTS rows)
  string(REGEX MATCH "^[^,]+,(\"[^\"]*\"|[^,]*)" cells "${row}")
  list(APPEND got "${cells}")
endforeach()
set(want "m000001,CW(p=0.2);m000007,CW(p=0.3);m000197,NEB")
if(NOT "${got}" STREQUAL "${want}")
  message(FATAL_ERROR "mutants.csv lists '${got}', expected exactly '${want}'")
endif()
file(READ "${WORK_DIR}/run/report.json" report)
if(NOT report MATCHES "\"spec\": *\"id=m000007 op=CW target=node:/fc1/Gemm/units:6 seed=0 p=0.3\"")
  message(FATAL_ERROR "report.json does not record the edited parameter of m000007")
endif()

# 3. The list on another model: refused, naming both identities.
run(1 campaign models/fashion_lenet5.onnx --data ${data} --mutants "${edited}" --out "${WORK_DIR}/other" --quiet)
if(NOT err MATCHES "^mutiny campaign: error: mutant list made for another model at .*edited.txt: it is for fnv1a64:[0-9a-f]+ \\(models/fashion_fcnn.onnx\\); the model given is fnv1a64:[0-9a-f]+\n$")
  message(FATAL_ERROR "unexpected message: ${err}")
endif()
if(EXISTS "${WORK_DIR}/other")
  message(FATAL_ERROR "a refused list still started a campaign")
endif()

# 4. A malformed line: the file and the line are named.
string(REPLACE "target=node:/fc1/Gemm/units:6 seed=0 p=0.3" "target" broken "${kept}")
file(WRITE "${WORK_DIR}/broken.txt" "${broken}")
run(1 campaign models/fashion_fcnn.onnx --data ${data} --mutants "${WORK_DIR}/broken.txt" --out "${WORK_DIR}/broken" --quiet)
if(NOT err MATCHES "^mutiny campaign: error: bad mutant list at .*broken.txt line 5: field 'target' is not key=value\n$")
  message(FATAL_ERROR "unexpected message: ${err}")
endif()
message("mutant list: ${got}")
