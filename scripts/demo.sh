#!/usr/bin/env bash
# The main job: a mutation campaign of LeNet-5 on the Fashion-MNIST test set (Debian's
# dataset-fashion-mnist): DeepMAACC's vanilla operators (CW, NAI, NEB on every neuron) and MutateNN's
# presets on the CPU over all 10,000 test images, then MutateNN's presets on CPU and OpenCL side by
# side (the device comparison) over the first 1,000. Scores are printed; the reports go to
# out/demo-campaign/ and out/demo-devices/ (report.html opens offline in a browser).
# Extra arguments are passed on to both `mutiny campaign` calls (e.g. --threads 2).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMUTINY_BUILD_EXAMPLES=ON
cmake --build build --target mutiny_cli -j "$(nproc)"
mutiny=build/bin/mutiny
model=models/fashion_lenet5.onnx
"$mutiny" campaign "$model" --data fashion-mnist:test --ops vanilla,mutatenn \
  --kill prediction,killed-classes:mutant-label,statistical --out out/demo-campaign "$@"
if "$mutiny" devices >/dev/null 2>&1; then
  "$mutiny" campaign "$model" --data fashion-mnist:test@first=1000 --ops mutatenn --device cpu,opencl \
    --kill prediction --out out/demo-devices "$@"
else
  echo "demo: no OpenCL platform here (see: $mutiny devices); the device comparison is skipped" >&2
fi
