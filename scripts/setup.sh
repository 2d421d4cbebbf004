#!/usr/bin/env bash
# Installs the Debian packages Mutiny needs to build, test and run its demo; only those missing.
# Uses sudo when not root. If apt/dpkg is busy (another install running), waits for its lock for up
# to 10 minutes rather than failing.
set -euo pipefail

packages=(
  build-essential cmake         # compiler, CMake/CTest
  libopenmpi-dev openmpi-bin    # Open MPI: campaign --mpi (the mpi tests)
  libtbb-dev                    # oneTBB: task parallelism on the CPU
  opencl-c-headers opencl-clhpp-headers ocl-icd-opencl-dev  # OpenCL headers, C++ bindings, ICD loader
  pocl-opencl-icd clinfo        # OpenCL on the CPU (tests), and a way to list devices
  libclblast-dev                # CLBlast: the reference SGEMM of bench_opencl_gemm (the bench only)
  libstb-dev                    # stb_image: image decoding
  doctest-dev                   # tests
  clang libclang-rt-dev         # libFuzzer/ASan/UBSan for the fuzz tests
  zlib1g-dev                    # compressed data sets (IDX .gz)
  dataset-fashion-mnist         # the demo's data set
  libonnx-testdata              # ONNX conformance tests
)

missing=()
for p in "${packages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all packages present"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  command -v sudo > /dev/null || { echo "setup: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive

# apt_wait <apt-get args...>: runs apt-get, retrying while another process holds apt's or dpkg's lock,
# for up to 10 minutes in all. apt's own DPkg::Lock::Timeout covers the dpkg lock; the retry loop also
# covers the lists lock taken by a concurrent `apt-get update`.
deadline=$((SECONDS + 600))
apt_wait() {
  local log rc
  log="$(mktemp)"
  while true; do
    set +e
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get -o DPkg::Lock::Timeout=60 "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    if ((rc == 0)); then rm -f "$log"; return 0; fi
    if grep -qiE 'could not get lock|unable to lock|unable to acquire|is another process using it' "$log" \
       && ((SECONDS < deadline)); then
      echo "setup: apt is busy (locked by another process); retrying in 10 s" >&2
      sleep 10
      continue
    fi
    rm -f "$log"
    return "$rc"
  done
}

echo "setup: installing ${missing[*]}"
apt_wait update -q
apt_wait install -y -q "${missing[@]}"
echo "setup: installed ${missing[*]}"
