# Helpers of the campaign tests (run_campaign_*.cmake).
#
# run(WHAT COMMAND...): runs the command, prints its output, fails naming WHAT unless it exits 0;
# sets `out` (stdout) and `err` (stderr) in the caller.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE o ERROR_VARIABLE e)
  message("${o}${e}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc})")
  endif()
  set(out "${o}" PARENT_SCOPE)
  set(err "${e}" PARENT_SCOPE)
endfunction()

# campaign_files(DIR VAR): the files of a campaign report that must not change with how the
# campaign was run (split, merged, resumed): report.json up to its "timing" member, mutants.csv
# without its per-mutant timing column ("cpu seconds", the 12th) and kill_matrix-cpu.txt, in VAR.
# expect_same_campaign(A B WHAT): fails naming WHAT when the two folders' files differ.
function(campaign_files dir var)
  file(READ "${dir}/report.json" json)
  string(FIND "${json}" "\"timing\"" cut)
  if(cut LESS 1000)
    message(FATAL_ERROR "${dir}/report.json has no timing member or is suspiciously short")
  endif()
  string(SUBSTRING "${json}" 0 ${cut} report)
  string(REPEAT "[^,]*," 11 eleven)
  file(STRINGS "${dir}/mutants.csv" rows)
  list(GET rows 0 header)
  if(NOT header MATCHES "^${eleven}cpu seconds,")
    message(FATAL_ERROR "${dir}/mutants.csv: the 12th column is not 'cpu seconds': ${header}")
  endif()
  list(TRANSFORM rows REPLACE "^(${eleven})[^,]*," "\\1")
  file(READ "${dir}/kill_matrix-cpu.txt" matrix)
  set(${var} "${report}|${rows}|${matrix}" PARENT_SCOPE)
endfunction()

function(expect_same_campaign a b what)
  campaign_files("${a}" fa)
  campaign_files("${b}" fb)
  if(NOT fa STREQUAL fb)
    message(FATAL_ERROR "${what}: report.json, mutants.csv or kill_matrix-cpu.txt differ between ${a} and ${b}")
  endif()
endfunction()
