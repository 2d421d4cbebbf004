# A campaign's files for every criterion, its replay, and test-input prioritisation from its kill
# matrix (ctest cli.replay_prioritize): replay reruns the manifest's command and finds the same
# results; a changed model or data set is named; prioritize ranks the inputs as report.json counts
# their kills.
#   CLI: the program; SHARED: the shared data folder; WORK_DIR: a scratch folder. From the repository root.
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

include("${CMAKE_CURRENT_LIST_DIR}/cli_run.cmake")

# 1. A campaign under four criteria: a kill matrix for each that has per-input verdicts.
set(run_dir "${WORK_DIR}/run")
run(0 campaign models/fashion_fcnn.onnx --data fashion-mnist:test@first=60 --ops "NEB,CW(p=0.2)" --position first
    --kill prediction,killed-classes,distance:max=0.5,statistical --out "${run_dir}" --quiet)
expect("campaign" "${out}" "outputs: outputs-DEVICE.f32, [0-9.]+ MiB \\(kept by default up to 64 MiB; --no-outputs skips them\\)")
expect("campaign" "${out}" "per operator \\(cpu, prediction\\):\n  CW\\(p=0.2\\) +[0-9]+ counted")
foreach(f kill_matrix-cpu.txt kill_matrix-cpu-killed-classes_true-label.txt kill_matrix-cpu-distance_max_0_5.txt outputs-cpu.f32)
  if(NOT EXISTS "${run_dir}/${f}")
    message(FATAL_ERROR "the campaign wrote no ${f}")
  endif()
endforeach()
if(EXISTS "${run_dir}/kill_matrix-cpu-statistical_alpha_0_05.txt")
  message(FATAL_ERROR "statistical has no per-input verdicts, yet it has a kill matrix")
endif()
file(READ "${run_dir}/manifest.json" manifest)
expect("manifest" "${manifest}" "\"data_hash\": \"fnv1a64:[0-9a-f]+\"")
expect("manifest" "${manifest}" "\"device_identities\": \\[\n    \"cpu, instruction set [a-z0-9]+\"")
expect("manifest" "${manifest}" "\"command\": \"mutiny campaign models/fashion_fcnn.onnx --data fashion-mnist:test@first=60 --ops 'NEB,CW\\(p=0.2\\)' ")

# 2. Replay: the same results, file by file.
run(0 replay "${run_dir}/manifest.json" --quiet)
expect("replay" "${out}" "replay: identical to .*run: report.json, mutants.csv, kill_matrix-cpu-distance_max_0_5.txt, kill_matrix-cpu-killed-classes_true-label.txt, kill_matrix-cpu.txt \\(timing aside\\); model and data unchanged\n")

# 3. prioritize to stdout: one row per input; the first input of the total ranking kills as many
#    mutants as the most any input kills by report.json's count, and the sum of its kills column
#    is the sum of report.json's per-input kills.
run(0 prioritize "${run_dir}" --out -)
string(REGEX MATCHALL "[^\n]+" rows "${out}")
list(LENGTH rows n)
if(NOT n EQUAL 61)
  message(FATAL_ERROR "prioritize wrote ${n} lines, expected a header and 60 rows:\n${out}")
endif()
expect("prioritize stderr" "${err}" "^prioritize: 60 inputs, [0-9]+ mutants \\([0-9]+ killed\\) from .*kill_matrix-cpu.txt\n$")
file(READ "${run_dir}/report.json" report)
string(REGEX MATCH "\"per_input_kills\": \\[([0-9, ]*)\\]" m "${report}")
string(REPLACE ", " ";" kills "${CMAKE_MATCH_1}")
set(max 0)
set(sum 0)
foreach(k IN LISTS kills)
  math(EXPR sum "${sum} + ${k}")
  if(k GREATER max)
    set(max ${k})
  endif()
endforeach()
list(GET rows 1 first)
string(REPLACE "," ";" first "${first}")
list(GET first 2 top)
if(NOT top EQUAL max)
  message(FATAL_ERROR "the top input of the total ranking kills ${top} mutants; report.json's most is ${max}")
endif()
set(csum 0)
list(POP_FRONT rows)
foreach(row IN LISTS rows)
  string(REPLACE "," ";" cells "${row}")
  list(GET cells 2 k)
  math(EXPR csum "${csum} + ${k}")
endforeach()
if(NOT csum EQUAL sum)
  message(FATAL_ERROR "the total ranking's kills add up to ${csum}; report.json's per-input kills to ${sum}")
endif()
if(NOT EXISTS "${run_dir}/prioritization.html")
  message(FATAL_ERROR "prioritize wrote no prioritization.html")
endif()
run(0 prioritize "${run_dir}" --criterion killed-classes:true-label)
expect("prioritize" "${out}" "wrote .*run/prioritization.csv and .*run/prioritization.html")
run(1 prioritize "${run_dir}" --criterion statistical:alpha=0.05)
expect("prioritize statistical" "${err}" "^mutiny prioritize: error: no kill matrix at .*kill_matrix-cpu-statistical_alpha_0_05.txt: ")

# 4. The model file changed since: named before anything runs.
file(COPY_FILE models/fashion_fcnn.onnx "${WORK_DIR}/model.onnx")
run(0 campaign "${WORK_DIR}/model.onnx" --data fashion-mnist:test@first=20 --ops NEB --position first --out "${WORK_DIR}/m" --quiet)
file(COPY_FILE models/fashion_lenet5.onnx "${WORK_DIR}/model.onnx")
run(1 replay "${WORK_DIR}/m/manifest.json")
expect("replay, model changed" "${err}" "^mutiny replay: error: the model changed since the campaign at .*model.onnx: the manifest records fnv1a64:[0-9a-f]+, the file is now fnv1a64:[0-9a-f]+\n$")

# 5. The data changed since (an image replaced): named after the rerun.
foreach(pair "0;0_1009" "1;1_1008" "2;2_1065")
  list(GET pair 0 label)
  list(GET pair 1 image)
  file(MAKE_DIRECTORY "${WORK_DIR}/images/${label}")
  file(COPY_FILE "${SHARED}/images/mnist_glow/${image}.png" "${WORK_DIR}/images/${label}/a.png")
endforeach()
run(0 campaign models/fashion_fcnn.onnx --data "folder:${WORK_DIR}/images" --preprocess unit --ops NEB --position first --out "${WORK_DIR}/d" --quiet)
file(COPY_FILE "${SHARED}/images/mnist_glow/3_1020.png" "${WORK_DIR}/images/2/a.png")
run(1 replay "${WORK_DIR}/d/manifest.json" --quiet)
expect("replay, data changed" "${err}" "^mutiny replay: error: the data changed since the campaign at folder:.*images: the manifest records fnv1a64:[0-9a-f]+, the data now hash to fnv1a64:[0-9a-f]+\n$")
