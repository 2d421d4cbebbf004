#!/usr/bin/env bash
# Long fuzzing runs: builds the fuzz targets (tests/fuzz/fuzz_<x>.cpp; clang, libFuzzer, ASan, UBSan
# with UBSan errors fatal) and runs each over its seed corpus, one after another, then prints a
# table: target, executions, seconds, findings.
#
#   scripts/fuzz.sh [TARGET...] [--seconds N | --runs N] [--jobs N] [--keep-corpus]
#
# TARGET: a name such as native or fuzz_native (default: every target). --seconds N: each target
# runs N seconds (default 600); --runs N: each runs N executions. --jobs: build parallelism
# (default: the logical cores). --keep-corpus: grow one corpus per target across runs
# (build-fuzz/corpus/<target>) instead of starting from the seeds each time; merge what it finds
# into the committed seeds with libFuzzer's -merge=1 when it is worth keeping.
# The build goes to build-fuzz/ (MUTINY_FUZZ_DIR overrides), failing inputs to
# build-fuzz/fuzz_<x>/artifacts/ (reproduce: build-fuzz/build/fuzz_<x> FILE). Exits 1 when any
# target found something. For long runs pass -O1 for the instrumented library: MUTINY_FUZZ_LIB_OPT.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$(pwd)"

seconds=600
runs=""
jobs="$(nproc)"
keep=0
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs N}"; runs=""; shift 2 ;;
    --runs) runs="${2:?--runs needs N}"; shift 2 ;;
    --jobs) jobs="${2:?--jobs needs N}"; shift 2 ;;
    --keep-corpus) keep=1; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("fuzz_${1#fuzz_}"); shift ;;
  esac
done
for n in "$runs" "$seconds" "$jobs"; do
  [[ -z "$n" || "$n" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: '$n' is not a positive integer" >&2; exit 2; }
done
if [[ ${#targets[@]} -eq 0 ]]; then
  for f in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
for t in "${targets[@]}"; do
  [[ -f "tests/fuzz/$t.cpp" ]] || { echo "fuzz.sh: no fuzz target tests/fuzz/$t.cpp" >&2; exit 2; }
done

work="${MUTINY_FUZZ_DIR:-$repo/build-fuzz}"
clangxx="$(command -v clang++ || true)"
generator="Unix Makefiles"
command -v ninja >/dev/null && generator=Ninja
IFS='|'; target_list="${targets[*]}"; unset IFS
cmake -DMODE=build "-DREPO_DIR=$repo" "-DWORK_DIR=$work" "-DGENERATOR=$generator" "-DCLANGXX=$clangxx" "-DTARGETS=$target_list" \
  "-DJOBS=$jobs" "-DLIB_OPT=${MUTINY_FUZZ_LIB_OPT:-}" -P tests/cmake/run_fuzz.cmake
[[ -x "$work/build/${targets[0]}" ]] || { echo "fuzz.sh: the fuzz targets were not built (clang with libFuzzer missing?)" >&2; exit 1; }

export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
rows=()
status=0
for t in "${targets[@]}"; do
  limit=("-DMAX_TOTAL_TIME=$seconds")
  [[ -n "$runs" ]] && limit=("-DRUNS=$runs")
  corpus=()
  if [[ $keep -eq 1 ]]; then
    mkdir -p "$work/corpus/$t"
    corpus=("-DCORPUS=$work/corpus/$t")
  fi
  log="$work/$t.log"
  mkdir -p "$work/$t/artifacts"
  before="$(ls "$work/$t/artifacts" | wc -l)"
  rc=0
  cmake -DMODE=run "-DNAME=$t" "-DSOURCE=$repo/tests/fuzz/$t.cpp" "-DREPO_DIR=$repo" "-DWORK_DIR=$work" \
    "-DSHARED_DATA=${MUTINY_SHARED_DATA:-$repo/../shared/data}" "${limit[@]}" "${corpus[@]}" \
    -P tests/cmake/run_fuzz.cmake >"$log" 2>&1 || rc=$?
  execs="$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)"
  secs="$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -1 | sed 's/.* in \([0-9]*\) second/\1/' || true)"
  found=$(( $(ls "$work/$t/artifacts" | wc -l) - before ))
  if [[ $rc -ne 0 && $found -eq 0 ]]; then found="failed (see $log)"; fi
  [[ $rc -ne 0 ]] && status=1
  rows+=("$t|${execs:-?}|${secs:-?}|$found")
  echo "$t: ${execs:-?} executions in ${secs:-?} s, findings: $found" >&2
done

printf '\n| target | executions | seconds | findings |\n|---|---:|---:|---|\n'
for r in "${rows[@]}"; do
  IFS='|' read -r t e s f <<<"$r"
  printf '| %s | %s | %s | %s |\n' "$t" "$e" "$s" "$f"
done
exit $status
