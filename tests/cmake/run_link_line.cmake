# The single header builds with exactly the link line README.md gives (ctest packaging.link_line):
# the line is read from README.md (the first that starts with "g++ -std=c++17" and names
# single_include), my_tool.cpp replaced by tests/single_include/link_line_main.cpp, run from the
# repository root; the program must then run.
#   WORK_DIR: a scratch folder.
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
file(STRINGS README.md lines REGEX "^g\\+\\+ -std=c\\+\\+17 .*single_include")
list(LENGTH lines n)
if(n EQUAL 0)
  message(FATAL_ERROR "README.md has no 'g++ -std=c++17 ... single_include ...' link line")
endif()
list(GET lines 0 line)
if(NOT line MATCHES " my_tool\\.cpp ")
  message(FATAL_ERROR "README.md's link line names no my_tool.cpp: ${line}")
endif()
string(REPLACE " my_tool.cpp " " tests/single_include/link_line_main.cpp -o ${WORK_DIR}/link_line " line "${line}")
separate_arguments(cmd UNIX_COMMAND "${line}")
message("${line}")
execute_process(COMMAND ${cmd} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "README.md's link line fails (exit ${rc}):\n${out}${err}")
endif()
execute_process(COMMAND "${WORK_DIR}/link_line" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "relu: 0 0 2")
  message(FATAL_ERROR "the program built with README.md's link line fails (exit ${rc})")
endif()
