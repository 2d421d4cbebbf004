# ctest cli.diff_reduce*: `mutiny diff --reduce DIR` on a difference planted at a known node (a
# kernel mutant, SIDE, at node NODE) at zero tolerance. The bundle holds that node alone (the first
# diverging node, which is all the piece fed with the reference's values needs), the conformance run
# of the bundle passes (the reference output on the CPU), the replay of README.txt's command
# reproduces the difference (exit 1, diverging at NODE), and the bad cases: an existing non-empty DIR
# (refused, then replaced with --force), sides that agree (no folder), a flaky difference (the
# MUTINY_DIFF_REDUCE_FLAKY=1 hook: "not reproducible", no folder). Runs from the repository root.
#   CLI: the program; WORK_DIR: a scratch folder; MODEL, DATA (a data spec), PRE (a recipe, optional),
#   SIDE (a mutant spec), NODE (its node); ONLY_BUNDLE: steps 1 and 2 only; NEEDS: shared files
#   ("|"-joined), REQUIRE_DATA.
cmake_minimum_required(VERSION 3.21)
include("${CMAKE_CURRENT_LIST_DIR}/cli_run.cmake")
need_data()
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(pre "")
if(DEFINED PRE)
  set(pre --preprocess "${PRE}")
endif()
set(bundle "${WORK_DIR}/bundle")
set(diff diff "${MODEL}" --data "${DATA}" ${pre} --atol 0 --rtol 0)
string(REGEX REPLACE "([][+.*()^$])" "\\\\\\1" node_re "${NODE}")

# 1. The planted difference: localised at NODE, reduced to NODE alone.
run(1 ${diff} --against "cpu,${SIDE}" --reduce "${bundle}")
expect("reduce" "${out}" "reproducer bundle: [^\n]*bundle: 1 node\\(s\\) from #[0-9]+ ${node_re} \\([A-Za-z]+\\) to '[^']+', input 0; max \\|d\\| ([0-9.e+-]+|nan|inf)")
expect("reduce" "${err}" "error: outputs differ beyond tolerance")
foreach(f model.onnx test_data_set_0/input_0.pb test_data_set_0/output_0.pb side_outputs/output_0.pb README.txt replay.sh)
  if(NOT EXISTS "${bundle}/${f}")
    message(FATAL_ERROR "the bundle has no ${f}")
  endif()
endforeach()
file(READ "${bundle}/README.txt" readme)
expect("README.txt" "${readme}" "1 node\\(s\\):\n  #[0-9]+ ${node_re} \\(")
expect("README.txt" "${readme}" "applied to model.onnx \\(its node keeps its name\\)")
expect("README.txt" "${readme}" "mutiny diff [^\n]*model.onnx --data [^\n]*test_data_set_0 --against")

# 2. It replays: the reference output passes conformance, the diff on the bundle diverges at NODE.
run(0 conformance "${bundle}")
expect("conformance" "${out}" "1 passed, 0 failed, 0 skipped")
run(1 diff "${bundle}/model.onnx" --data "${bundle}/test_data_set_0" --against "cpu,${SIDE}" --atol 0 --rtol 0)
expect("replay" "${out}" "vs cpu: diverges at node #0 ${node_re} ")

if(ONLY_BUNDLE)  # the bad cases are the same on every model: checked once, on the cheap one
  return()
endif()

# 3. An existing non-empty DIR is refused before any work, replaced with --force.
run(2 ${diff} --against "cpu,${SIDE}" --reduce "${bundle}")
expect("existing" "${err}" "--reduce [^\n]*bundle: the folder exists and is not empty; add --force to replace it\n$")
run(1 ${diff} --against "cpu,${SIDE}" --reduce "${bundle}" --force)
expect("force" "${out}" "reproducer bundle: ")

# 4. Sides that agree: nothing to reduce, exit 0, no folder.
run(0 ${diff} --against cpu,cpu --reduce "${WORK_DIR}/agree")
expect("agree" "${out}" "--reduce: every side is within tolerance at the outputs: nothing to reduce, no bundle written")
if(EXISTS "${WORK_DIR}/agree")
  message(FATAL_ERROR "sides that agree wrote ${WORK_DIR}/agree")
endif()

# 5. A flaky difference (the side agrees when run again): not reproducible, exit 1, no folder.
execute_process(COMMAND "${CMAKE_COMMAND}" -E env MUTINY_DIFF_REDUCE_FLAKY=1 "${CLI}" ${diff} --against "cpu,${SIDE}" --reduce "${WORK_DIR}/flaky"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "flaky: exit code ${rc}, expected 1\n${out}${err}")
endif()
expect("flaky" "${err}" "^mutiny diff: error: not reproducible at [^\n]*: run again on the inputs where it diverged, its outputs are within tolerance \\(a flaky difference\\); no bundle written\n$")
if(EXISTS "${WORK_DIR}/flaky")
  message(FATAL_ERROR "a flaky difference wrote ${WORK_DIR}/flaky")
endif()
