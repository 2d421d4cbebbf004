# MPI (ctest test cli.campaign_mpi, labels cli and mpi): `mpirun -np R mutiny campaign ... --mpi` with
# R = 1, 2 and 4 ranks on this machine (--oversubscribe: more ranks than cores) writes the report.json
# (timing aside), mutants.csv (timing column aside) and kill matrix of the one-process run, byte for
# byte, and outputs-cpu.f32 (kept by default at this size), which rank 0 gathers from the chunks'
# folders. Then a 2-rank run whose rank 1 is killed with SIGKILL once a chunk is done: the job ends
# without a report, and the same command with --resume continues from the chunks done and ends
# with the same files.
#   CLI: the mutiny program; MPIEXEC: mpirun ("" when the tool is built without MPI: skipped);
#   SH: a POSIX shell; WORK_DIR: a scratch folder (emptied first).
cmake_minimum_required(VERSION 3.21)
if(MPIEXEC STREQUAL "")
  message("SKIPPED: the mutiny tool is built without MPI (configure with -DMUTINY_WITH_MPI=ON)")
  return()
endif()
include("${CMAKE_CURRENT_LIST_DIR}/campaign_test_helpers.cmake")
function(expect_same_outputs a b what)
  if(NOT EXISTS "${a}/outputs-cpu.f32" OR NOT EXISTS "${b}/outputs-cpu.f32")
    message(FATAL_ERROR "${what}: outputs-cpu.f32 missing in ${a} or ${b}")
  endif()
  file(SHA256 "${a}/outputs-cpu.f32" ha)
  file(SHA256 "${b}/outputs-cpu.f32" hb)
  if(NOT ha STREQUAL hb)
    message(FATAL_ERROR "${what}: outputs-cpu.f32 differs between ${a} and ${b}")
  endif()
endfunction()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
# Open MPI refuses to run as root unless told it is meant.
set(ENV{OMPI_ALLOW_RUN_AS_ROOT} 1)
set(ENV{OMPI_ALLOW_RUN_AS_ROOT_CONFIRM} 1)
set(common campaign models/fashion_lenet5.onnx --data fashion-mnist:test@first=300 --ops vanilla --batch 25 --threads 1
    --kill prediction,killed-classes:mutant-label,statistical --quiet)

run("single process" "${CLI}" ${common} --out "${WORK_DIR}/single")
foreach(ranks 1 2 4)
  run("${ranks} ranks" "${MPIEXEC}" --oversubscribe -np ${ranks} "${CLI}" ${common} --mpi --out "${WORK_DIR}/np${ranks}")
  if(NOT out MATCHES "mpi: ${ranks} ranks?, ")
    message(FATAL_ERROR "the ${ranks}-rank run did not say it ran on ${ranks} ranks")
  endif()
  expect_same_campaign("${WORK_DIR}/single" "${WORK_DIR}/np${ranks}" "${ranks} ranks")
  expect_same_outputs("${WORK_DIR}/single" "${WORK_DIR}/np${ranks}" "${ranks} ranks")
endforeach()
message("1, 2, 4 ranks: reports and outputs identical to the single process")

# The chunk count: one per rank by default for a campaign this small (mpi_chunk_count); --chunks N
# sets it, with the same files.
if(NOT EXISTS "${WORK_DIR}/np2/chunks/chunk-2-of-2.bin" OR EXISTS "${WORK_DIR}/np2/chunks/chunk-1-of-4.bin")
  message(FATAL_ERROR "2 ranks: expected 2 chunks (chunk-K-of-2.bin) by default")
endif()
run("2 ranks, 3 chunks" "${MPIEXEC}" --oversubscribe -np 2 "${CLI}" ${common} --mpi --chunks 3 --out "${WORK_DIR}/np2c3")
if(NOT out MATCHES "mpi: 2 ranks, 3 chunks" OR NOT EXISTS "${WORK_DIR}/np2c3/chunks/chunk-3-of-3.bin")
  message(FATAL_ERROR "--chunks 3: expected 3 chunks, got ${out}")
endif()
expect_same_campaign("${WORK_DIR}/single" "${WORK_DIR}/np2c3" "2 ranks, --chunks 3")
expect_same_outputs("${WORK_DIR}/single" "${WORK_DIR}/np2c3" "2 ranks, --chunks 3")
# Resuming keeps the chunks it started with: another --chunks is refused, naming both counts.
execute_process(COMMAND "${MPIEXEC}" --oversubscribe -np 1 "${CLI}" ${common} --mpi --chunks 5 --out "${WORK_DIR}/np2c3" --resume
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "error: cannot resume with another chunk count at [^\n]*/np2c3/chunks: its chunks were dealt into 3, --chunks asks for 5; resume with --chunks 3 or without --chunks")
  message(FATAL_ERROR "--resume with another --chunks: expected a refusal naming both counts, got ${rc}: ${out}${err}")
endif()
message("chunk counts: 2 by default on 2 ranks, 3 with --chunks 3 (identical files); a resume with another count refused")

# A sample (--sample, --until) over 2 ranks: each round over the ranks, the same estimate.json,
# report.json and kill matrix as the one-process sample.
set(sampled ${common} --sample 40:3 --until ci=0.05)
run("sample, one process" "${CLI}" ${sampled} --out "${WORK_DIR}/sample1")
run("sample, 2 ranks" "${MPIEXEC}" --oversubscribe -np 2 "${CLI}" ${sampled} --mpi --out "${WORK_DIR}/sample2")
if(NOT out MATCHES "sample: [0-9]+ of 708 mutants \\(strata operator, seed 3, [2-9] rounds\\)")
  message(FATAL_ERROR "the 2-rank sample did not run several rounds: ${out}")
endif()
expect_same_campaign("${WORK_DIR}/sample1" "${WORK_DIR}/sample2" "sample over 2 ranks")
file(READ "${WORK_DIR}/sample1/estimate.json" e1)
file(READ "${WORK_DIR}/sample2/estimate.json" e2)
if(NOT e1 STREQUAL e2)
  message(FATAL_ERROR "sample over 2 ranks: estimate.json differs from the one-process sample's")
endif()
message("sample over 2 ranks: estimate.json, report and kill matrices identical to the one-process sample")

# A chunk's outputs that rank 0 cannot read (on another machine's disk): a one-line error naming
# the file, exit status not 0, and no outputs file under the real name.
file(REMOVE "${WORK_DIR}/np1/chunks/chunk-1-of-1/outputs-cpu.f32" "${WORK_DIR}/np1/outputs-cpu.f32")
execute_process(COMMAND "${MPIEXEC}" --oversubscribe -np 1 "${CLI}" ${common} --mpi --out "${WORK_DIR}/np1" --resume
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "mutiny campaign: error: cannot gather the kept outputs at [^\n]*/np1/chunks/chunk-1-of-1/outputs-cpu.f32: missing or not of the chunk's size on rank 0's machine \\(put --out on shared storage, or run with --no-outputs\\)")
  message(FATAL_ERROR "a missing chunk outputs file: expected a failure naming it, got ${rc}: ${out}${err}")
endif()
if(EXISTS "${WORK_DIR}/np1/outputs-cpu.f32")
  message(FATAL_ERROR "a missing chunk outputs file: outputs-cpu.f32 was written anyway")
endif()
message("a chunk's outputs missing on rank 0: refused, naming the file")

# Start 2 ranks, wait for the first chunk file, SIGKILL rank 1 (found by the rank Open MPI puts in
# its environment and the output folder on its command line) once an unfinished chunk has a
# checkpoint. More inputs than above, so that
# rank 0 cannot finish the other chunks alone before the job is torn down.
string(REPLACE "@first=300" "@first=1000" long "${common}")
run("single process, 1000 inputs" "${CLI}" ${long} --out "${WORK_DIR}/single1000")
string(REPLACE ";" " " args "${long}")
set(script "
\"$0\" --oversubscribe -np 2 \"$1\" ${args} --mpi --chunks 4 --out \"$2\" >\"$2.log\" 2>&1 &
job=$!
victim=''
i=0
while [ -z \"$victim\" ]; do
  for p in /proc/[0-9]*; do
    if tr '\\0' '\\n' 2>/dev/null <\"$p/environ\" | grep -qx OMPI_COMM_WORLD_RANK=1 &&
       tr '\\0' ' ' 2>/dev/null <\"$p/cmdline\" | grep -qF \"$2\"; then victim=\${p#/proc/}; fi
  done
  i=$((i + 1))
  if [ $i -gt 600 ]; then echo 'rank 1 not found'; kill -9 $job; exit 5; fi
  if [ -z \"$victim\" ]; then sleep 0.1; fi
done
i=0
while ! ls \"$2\"/chunks/chunk-*.bin >/dev/null 2>&1; do
  if ! kill -0 $job 2>/dev/null; then echo 'the job ended before its first chunk'; cat \"$2.log\"; exit 3; fi
  i=$((i + 1))
  if [ $i -gt 30000 ]; then echo 'no chunk after 600 s'; kill -9 $job; exit 4; fi
  sleep 0.02
done
# ... and until a chunk not yet done has a checkpoint, so the resume has one to continue from.
busy=''
while [ -z \"$busy\" ]; do
  for c in \"$2\"/chunks/chunk-*/checkpoint.bin; do
    if [ -f \"$c\" ] && [ ! -f \"\${c%/checkpoint.bin}.bin\" ]; then busy=$c; fi
  done
  if ! kill -0 $job 2>/dev/null; then echo 'the job ended before a chunk checkpointed'; cat \"$2.log\"; exit 3; fi
  if [ -z \"$busy\" ]; then sleep 0.02; fi
done
kill -9 $victim
wait $job
echo \"job exit status $? after killing rank 1 (pid $victim)\"
")
execute_process(COMMAND "${SH}" -c "${script}" "${MPIEXEC}" "${CLI}" "${WORK_DIR}/killed" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "could not kill rank 1 mid-run (${rc})")
endif()
if(out MATCHES "job exit status 0 ")
  message(FATAL_ERROR "the job exited 0 after rank 1 was killed")
endif()
if(EXISTS "${WORK_DIR}/killed/report.json")
  message(FATAL_ERROR "report.json exists after the kill: the job had finished")
endif()
# The chunks the kill interrupted after a checkpoint: each must resume from it.
file(GLOB checkpointed "${WORK_DIR}/killed/chunks/chunk-*/checkpoint.bin")
set(interrupted 0)
foreach(c IN LISTS checkpointed)
  get_filename_component(chunk "${c}" DIRECTORY)
  if(NOT EXISTS "${chunk}.bin")
    math(EXPR interrupted "${interrupted} + 1")
  endif()
endforeach()
# Without --chunks: the resume keeps the 4 chunks its files were dealt into.
run("resumed job" "${MPIEXEC}" --oversubscribe -np 2 "${CLI}" ${long} --mpi --out "${WORK_DIR}/killed" --resume)
if(NOT out MATCHES "chunks \\(([0-9]+) done before, ([0-9]+) resumed from their checkpoints\\)")
  message(FATAL_ERROR "the job did not resume from the chunks done")
endif()
set(before ${CMAKE_MATCH_1})
set(checkpoints ${CMAKE_MATCH_2})
if(before LESS 1 OR before GREATER 3 OR NOT checkpoints EQUAL interrupted)
  message(FATAL_ERROR "resumed with ${before} of 4 chunks done and ${checkpoints} from checkpoints: expected 1..3, and ${interrupted} (the interrupted chunks with a checkpoint)")
endif()
expect_same_campaign("${WORK_DIR}/single1000" "${WORK_DIR}/killed" "SIGKILL of rank 1, then --resume")
expect_same_outputs("${WORK_DIR}/single1000" "${WORK_DIR}/killed" "SIGKILL of rank 1, then --resume")
message("rank 1 killed with SIGKILL, then --resume (${before} of 4 chunks done before, ${checkpoints} of ${interrupted} interrupted chunks resumed from their checkpoints): report identical to the single process")
