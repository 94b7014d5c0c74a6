#!/usr/bin/env bash
# GPU checks of the CUDA backend, for a machine with an NVIDIA GPU and its
# driver, Python with torch (whose nvidia wheels provide NVRTC), no Go and
# no network. Its input is built on any machine with `make cuda-test-bin`
# (build/gpu/cudagen.test, a cuda-tagged Go test binary; see docs/gpu.md).
#
#   bash benchmarks/gpu_check.sh            # results under $OUT (default build/gpu/out)
#
# It runs, each under a time limit:
#   1. the driver probe of the Python layer (pykeops_go.common.gpu, ctypes);
#   2. NVRTC from torch's wheel: every kernel of the test matrix compiled;
#   3. every kernel of the test matrix on the GPU, compared with the CPU engine;
#   4. W1 (Gaussian kernel sum, dim 3, float32) at 1e5 and 1e6 points, 1D
#      and 2D schemes, the first call of a new formula (NVRTC + load), the
#      first call with the disk cache and the overhead of a cached call.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/build/gpu/out}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
BIN=$ROOT/build/gpu/cudagen.test
status=0

if [ ! -x "$BIN" ]; then
  echo "missing $BIN: run 'make cuda-test-bin' on the build machine and bring build/gpu along" >&2
  exit 2
fi

echo "== machine" | tee "$OUT/summary.txt"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
  "$PY" --version 2>&1
  "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>&1 || true
} | tee -a "$OUT/summary.txt"

# Where NVRTC is: torch's site-packages first, then the others.
SITES=$(PYTHONPATH=$ROOT/python "$PY" -c 'import os
from pykeops_go.common import gpu
print(os.pathsep.join(gpu.nvrtc_search_path()))' 2>"$OUT/probe.err")
export GOKEOPS_SITE_PACKAGES=$SITES
echo "NVRTC search path: $SITES" | tee -a "$OUT/summary.txt"
find ${SITES//:/ } -name 'libnvrtc.so*' 2>/dev/null | head -5 | tee -a "$OUT/summary.txt"

echo "== 1. driver probe (ctypes)" | tee -a "$OUT/summary.txt"
PYTHONPATH=$ROOT/python timeout 60 "$PY" -c 'from pykeops_go.common import gpu
i = gpu.info()
print("driver", i.driver_version, "devices", gpu.get_gpu_number(), i.reason)
for d in gpu.get_gpu_props(): print(d)' 2>&1 | tee -a "$OUT/summary.txt" || status=1

# The test binary runs in its package folder (its testdata).
cd "$ROOT/pkg/cudagen"
run() { # name timeout pattern
  echo "== $1" | tee -a "$OUT/summary.txt"
  timeout "$2" "$BIN" -test.v -test.count=1 -test.run "$3" >"$OUT/$1.log" 2>&1
  local rc=$?
  grep -E '^(=== RUN|--- |PASS|FAIL|ok)|nvrtc_test|gpu_cuda_test|compiled|W1' "$OUT/$1.log" | grep -v '^=== RUN' | tee -a "$OUT/summary.txt"
  [ $rc -eq 0 ] || { echo "$1: exit $rc" | tee -a "$OUT/summary.txt"; status=1; }
}
run nvrtc 150 '^(TestNVRTCCompilesMatrix|TestNVRTCReportsErrors|TestCompilerCaches)$'
run gpu_matrix 240 '^TestGPUMatchesEngine$'
export GOKEOPS_W1_CHECK=1
run w1 180 '^TestGPUW1Timing$'

echo "== exit $status" | tee -a "$OUT/summary.txt"
exit $status
