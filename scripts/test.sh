#!/usr/bin/env bash
# The test suite: installs what is missing, checks the single-header form is fresh, builds everything
# (library tests, the mutiny tool, examples) in build/ and runs every ctest label
# (unit, data, opencl, packaging, cli, examples, fuzz). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
bash scripts/amalgamate.sh --check

jobs="$(nproc)"
# Benchmarks are built by `cmake --build build --target bench_...` when wanted, not in the test run
# (CI time); fuzzing runs 15 s per target here.
# MUTINY_REQUIRE_DATA: a test whose data set or OpenCL device is missing fails here instead of
# reporting itself skipped, so CI cannot pass without running everything; MUTINY_WITH_MPI likewise
# (the mpi tests would otherwise report themselves skipped).
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMUTINY_BUILD_TESTS=ON -DMUTINY_BUILD_EXAMPLES=ON \
  -DMUTINY_BUILD_BENCH=OFF -DMUTINY_FUZZ_SECONDS=15 -DMUTINY_REQUIRE_DATA=ON -DMUTINY_WITH_MPI=ON
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure --no-tests=error -j "$jobs"
