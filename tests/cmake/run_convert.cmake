# mutiny convert writes a native model that runs bitwise as the ONNX model it came from, with an
# embedded self-test that inspect shows; a changed file is refused; FILE.onnx is written as ONNX
# that runs bitwise as the original and keeps the recipe; an existing --out needs --force
# (ctest cli.convert).
#   CLI: the program; WORK_DIR: a scratch folder. Runs from the repository root.
cmake_minimum_required(VERSION 3.21)
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(native "${WORK_DIR}/fcnn.mutiny")

include("${CMAKE_CURRENT_LIST_DIR}/cli_run.cmake")

# 1. Convert with a self-test of 16 images and the recipe stored with the model.
run(0 convert models/fashion_fcnn.onnx --out "${native}" --self-test fashion-mnist:test@first=16 --preprocess unit)
expect("convert" "${out}" "wrote .*fcnn.mutiny: native model version 2, [0-9]+ bytes, self-test of 16 samples")
run(0 inspect "${native}")
expect("inspect" "${out}" "format: Mutiny native model, version 2 \\(this Mutiny writes 2\\)\nchecksum: fnv1a64 [0-9a-f]+, verified \\(covers every byte but its own\\)\nself-test: 1 input tensor\\(s\\) of 16 sample\\(s\\), 1 expected output\\(s\\)[^\n]*: passed on load\n")
expect("inspect" "${out}" "metadata: preprocess = ")
expect("inspect" "${out}" "parameters: 44860")
run(0 inspect models/fashion_fcnn.onnx)
expect("inspect onnx" "${out}" "format: ONNX, IR version [0-9]+, opsets ai.onnx [0-9]+")

# 2. The native model computes what the ONNX model computes, bit for bit (run prints %.9g: every
#    float32 exactly), with the recipe it carries.
run(0 run models/fashion_fcnn.onnx --data fashion-mnist:test@first=50 --preprocess unit --out "${WORK_DIR}/onnx.csv")
run(0 run "${native}" --data fashion-mnist:test@first=50 --out "${WORK_DIR}/native.csv")
file(READ "${WORK_DIR}/onnx.csv" a)
file(READ "${WORK_DIR}/native.csv" b)
if(NOT a STREQUAL b)
  message(FATAL_ERROR "the native model's outputs differ from the ONNX model's")
endif()

# 3. Native to native keeps the self-test.
run(0 convert "${native}" --out "${WORK_DIR}/again.mutiny")
expect("convert native" "${out}" "self-test of 16 samples")
run(0 inspect "${WORK_DIR}/again.mutiny")
expect("inspect again" "${out}" "self-test: 1 input tensor\\(s\\) of 16 sample\\(s\\)")
file(SHA256 "${native}" h1)
file(SHA256 "${WORK_DIR}/again.mutiny" h2)
if(NOT h1 STREQUAL h2)
  message(FATAL_ERROR "converting a native model again changed its bytes")
endif()

# 4. A byte appended: inspect shows the stored and the computed checksum, then refuses the file.
file(APPEND "${WORK_DIR}/again.mutiny" "x")
run(1 inspect "${WORK_DIR}/again.mutiny")
expect("inspect corrupt" "${out}" "checksum: fnv1a64 [0-9a-f]+, MISMATCH: the file's bytes give [0-9a-f]+\n")
expect("inspect corrupt" "${err}" "^mutiny inspect: error: native model has trailing bytes at .*again.mutiny: size [0-9]+ != [0-9]+\n$")

# 5. ONNX out: the graph as Mutiny runs it, bitwise, with its recipe (run without --preprocess).
set(onnx_out "${WORK_DIR}/fcnn.onnx")
run(0 convert models/fashion_fcnn.onnx --out "${onnx_out}" --preprocess unit)
expect("convert onnx" "${out}" "wrote .*fcnn.onnx: ONNX model, opset 21, [0-9]+ bytes, [0-9]+ nodes")
run(0 inspect "${onnx_out}")
expect("inspect exported" "${out}" "format: ONNX, IR version 10, opsets ai.onnx 21")
run(0 run "${onnx_out}" --data fashion-mnist:test@first=50 --out "${WORK_DIR}/exported.csv")
file(READ "${WORK_DIR}/exported.csv" c)
if(NOT a STREQUAL c)
  message(FATAL_ERROR "the exported ONNX model's outputs differ from the original's")
endif()
# The native file (with its self-test) written as ONNX computes the same too.
run(0 convert "${native}" --out "${WORK_DIR}/from_native.onnx")
run(0 run "${WORK_DIR}/from_native.onnx" --data fashion-mnist:test@first=50 --out "${WORK_DIR}/from_native.csv")
file(READ "${WORK_DIR}/from_native.csv" d)
if(NOT a STREQUAL d)
  message(FATAL_ERROR "the native model written as ONNX computes something else")
endif()

# 6. An existing --out is refused (a bad call, nothing written), replaced with --force.
file(SHA256 "${onnx_out}" before)
run(2 convert models/fashion_lenet5.onnx --out "${onnx_out}")
expect("existing" "${err}" "^mutiny convert: --out [^\n]*fcnn.onnx exists; add --force to replace it\n$")
file(SHA256 "${onnx_out}" after)
if(NOT before STREQUAL after)
  message(FATAL_ERROR "a refused convert changed the existing file")
endif()
run(0 convert models/fashion_lenet5.onnx --out "${onnx_out}" --force)
run(2 convert models/fashion_fcnn.onnx --out "${WORK_DIR}/st.onnx" --self-test fashion-mnist:test@first=2)
expect("self-test onnx" "${err}" "--self-test: an ONNX file has no self-test; write a native model \\(--out FILE.mutiny\\)")
