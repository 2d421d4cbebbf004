# Crash safety for real (ctest test cli.campaign_sigkill_resume): a `mutiny campaign` killed with
# SIGKILL once its first checkpoint is on disk, then resumed with --resume, must end with the
# report.json of an uninterrupted run (its "timing" member aside), the same kill matrix and the same
# kept outputs.
#   CLI: the mutiny program; SH: a POSIX shell; WORK_DIR: a scratch folder (emptied first).
# Not flaky by construction: the campaign has 20 batches and is killed within a poll interval
# (20 ms) of its first checkpoint, when most of its work is still ahead; the kill must have landed
# (exit by signal 9, no report.json yet) and the resume must start after batch 0 and before the end,
# or the test fails saying so rather than passing vacuously.
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(common campaign models/fashion_lenet5.onnx --data fashion-mnist:test@first=1000 --ops vanilla --batch 50 --threads 1
    --kill prediction,killed-classes:mutant-label,statistical --quiet)

include("${CMAKE_CURRENT_LIST_DIR}/campaign_test_helpers.cmake")  # run()

run("uninterrupted run" "${CLI}" ${common} --out "${WORK_DIR}/full")

# Start, wait for the first checkpoint, SIGKILL.
string(REPLACE ";" " " args "${common}")
set(script "
\"$0\" ${args} --out \"$1\" >\"$1.log\" 2>&1 &
pid=$!
i=0
while [ ! -f \"$1/checkpoint.bin\" ]; do
  if ! kill -0 $pid 2>/dev/null; then echo 'the campaign ended before its first checkpoint'; cat \"$1.log\"; exit 3; fi
  i=$((i + 1))
  if [ $i -gt 30000 ]; then echo 'no checkpoint after 600 s'; kill -9 $pid; exit 4; fi
  sleep 0.02
done
kill -9 $pid
wait $pid
echo \"campaign exit status $?\"
")
# (Not through run(): the script's ';' would split it into arguments.)
execute_process(COMMAND "${SH}" -c "${script}" "${CLI}" "${WORK_DIR}/part" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "could not interrupt the campaign (${rc})")
endif()
if(NOT out MATCHES "campaign exit status 137")
  message(FATAL_ERROR "the campaign was not killed by SIGKILL (it may have finished first): ${out}")
endif()
if(EXISTS "${WORK_DIR}/part/report.json")
  message(FATAL_ERROR "report.json exists after the kill: the campaign had finished")
endif()

run("resumed run" "${CLI}" ${common} --out "${WORK_DIR}/part" --resume)
if(NOT out MATCHES "resumed at batch ([0-9]+)")
  message(FATAL_ERROR "the run did not resume from a checkpoint")
endif()
set(at "${CMAKE_MATCH_1}")
if(at LESS 1 OR at GREATER 19)
  message(FATAL_ERROR "resumed at batch ${at}: expected 1..19 of 20")
endif()

# The reports up to their "timing" member, the kill matrices and the outputs: identical.
foreach(dir full part)
  file(READ "${WORK_DIR}/${dir}/report.json" json)
  string(FIND "${json}" "\"timing\"" cut)
  if(cut LESS 0)
    message(FATAL_ERROR "${dir}/report.json has no timing member")
  endif()
  string(SUBSTRING "${json}" 0 ${cut} report_${dir})
  file(SHA256 "${WORK_DIR}/${dir}/kill_matrix-cpu.txt" matrix_${dir})
  file(SHA256 "${WORK_DIR}/${dir}/outputs-cpu.f32" outputs_${dir})
endforeach()
string(LENGTH "${report_full}" n)
if(n LESS 10000)
  message(FATAL_ERROR "report.json is suspiciously short (${n} characters)")
endif()
if(NOT report_full STREQUAL report_part)
  file(WRITE "${WORK_DIR}/full.json" "${report_full}")
  file(WRITE "${WORK_DIR}/part.json" "${report_part}")
  message(FATAL_ERROR "report.json differs after the SIGKILL and resume: compare ${WORK_DIR}/full.json and part.json")
endif()
if(NOT matrix_full STREQUAL matrix_part)
  message(FATAL_ERROR "kill_matrix-cpu.txt differs after the SIGKILL and resume")
endif()
if(NOT outputs_full STREQUAL outputs_part)
  message(FATAL_ERROR "outputs-cpu.f32 differs after the SIGKILL and resume")
endif()
message("identical report.json (${n} characters before timing), kill matrix and outputs; killed after the checkpoint of batch ${at}")
