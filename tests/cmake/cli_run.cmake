# Helpers of the tests/cmake/run_*.cmake scripts that make several mutiny calls (include() it).
#   run(RC ARGS...): calls ${CLI} ARGS, fails unless it exits with RC; leaves its stdout in `out`
#   and its stderr in `err`.
#   expect(WHAT TEXT REGEX): fails, naming WHAT and showing TEXT, unless TEXT matches REGEX.
#   need_data(): when NEEDS (paths joined by "|", shared data) names a missing path, fails under
#   REQUIRE_DATA, else prints "SKIPPED: ..." (the test's SKIP_REGULAR_EXPRESSION) and ends the script.
function(run rc_want)
  execute_process(COMMAND "${CLI}" ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc STREQUAL "${rc_want}")
    message(FATAL_ERROR "mutiny ${ARGN}: exit code ${rc}, expected ${rc_want}\n${out}${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()
function(expect what text regex)
  if(NOT "${text}" MATCHES "${regex}")
    message(FATAL_ERROR "${what}: does not match '${regex}':\n${text}")
  endif()
endfunction()
macro(need_data)
  if(DEFINED NEEDS)
    string(REPLACE "|" ";" _needs "${NEEDS}")
    foreach(_path IN LISTS _needs)
      if(NOT EXISTS "${_path}")
        if(REQUIRE_DATA)
          message(FATAL_ERROR "missing test data: ${_path} (MUTINY_REQUIRE_DATA is ON; set MUTINY_SHARED_DATA_DIR)")
        endif()
        message("SKIPPED: missing test data ${_path} (set MUTINY_SHARED_DATA_DIR)")
        return()
      endif()
    endforeach()
  endif()
endmacro()
