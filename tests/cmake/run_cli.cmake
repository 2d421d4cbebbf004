# Runs one mutiny CLI call and checks its exit code and output (ctest tests cli.*).
#   CLI: the program; ARGS: its arguments joined by "|"; RC: the expected exit code;
#   REGEX: a regular expression the combined stdout+stderr must match (optional);
#   LINES: if set, the exact number of lines stderr must have (the "one line" rule for errors).
#   NEEDS: paths joined by "|" the call reads (shared data). When one is missing the call is not
#   made: with REQUIRE_DATA on the test fails naming it, else it prints "SKIPPED: ..." and the
#   test's SKIP_REGULAR_EXPRESSION makes ctest report it skipped.
cmake_minimum_required(VERSION 3.21)
include("${CMAKE_CURRENT_LIST_DIR}/cli_run.cmake")
need_data()
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND "${CLI}" ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc STREQUAL "${RC}")
  message(FATAL_ERROR "exit code ${rc}, expected ${RC}")
endif()
if(DEFINED REGEX AND NOT "${out}${err}" MATCHES "${REGEX}")
  message(FATAL_ERROR "output does not match '${REGEX}'")
endif()
if(DEFINED LINES)
  string(REGEX MATCHALL "\n" nl "${err}")
  list(LENGTH nl n)
  if(NOT n EQUAL LINES)
    message(FATAL_ERROR "stderr has ${n} lines, expected ${LINES}")
  endif()
endif()
