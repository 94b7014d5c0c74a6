#!/usr/bin/env bash
# GPU checks of the CUDA backend, for a machine with an NVIDIA GPU and its
# driver, CPython 3.12 with torch (whose nvidia wheels provide NVRTC) and
# NumPy, no Go and no network. Its input is built on any machine with
# `make gpu-bundle`: build/gpu (carried as one path, under 64 MiB) holds
# cudagen.test (a cuda-tagged Go test binary) and py312/ (pykeops_go and the
# pykeops shim for CPython 3.12 with both engine variants); see docs/gpu.md.
#
#   bash benchmarks/gpu_check.sh            # results under $OUT (default build/gpu/out)
#
# It runs, each under a time limit:
#   1. the driver probe of the Python layer (pykeops_go.common.gpu, ctypes);
#   2. NVRTC from torch's wheel: every kernel of the test matrix compiled;
#   3. every kernel of the test matrix on the GPU, compared with the CPU engine;
#   4. W1 (Gaussian kernel sum, dim 3, float32) at 1e5 and 1e6 points, 1D
#      and 2D schemes, the first call of a new formula (NVRTC + load), the
#      first call with the disk cache and the overhead of a cached call;
#   5. the Python extension (benchmarks/gpu_check.py): the CUDA variant
#      loads, Genred / LazyTensor / KernelSolve with GPU backends on NumPy
#      arrays and torch CUDA tensors against the CPU backend, and the same
#      timings through Python (python.json).
#
# The time limits add up to 570 s, so that one run fits a 10-minute slot;
# GPU_CHECK_PARTS="python" (or "go") runs one half only.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${OUT:-$ROOT/build/gpu/out}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
BIN=$ROOT/build/gpu/cudagen.test
# The Python package with its extensions (python/ of the tree has none there).
PYB=$ROOT/build/gpu/py312
PKG=$PYB
[ -d "$PKG/pykeops_go" ] || PKG=$ROOT/python
PARTS=${GPU_CHECK_PARTS:-go python}
status=0

if [ ! -x "$BIN" ] && [[ " $PARTS " == *" go "* ]]; then
  echo "missing $BIN: run 'make gpu-bundle' on the build machine and bring build/gpu along" >&2
  exit 2
fi

echo "== machine" | tee "$OUT/summary.txt"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
  "$PY" --version 2>&1
  "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)' 2>&1 || true
} | tee -a "$OUT/summary.txt"

# Where NVRTC is: torch's site-packages first, then the others.
SITES=$(PYTHONPATH=$PKG "$PY" -c 'import os
from pykeops_go.common import gpu
print(os.pathsep.join(gpu.nvrtc_search_path()))' 2>"$OUT/probe.err")
export GOKEOPS_SITE_PACKAGES=$SITES
echo "NVRTC search path: $SITES" | tee -a "$OUT/summary.txt"
find ${SITES//:/ } -name 'libnvrtc.so*' 2>/dev/null | head -5 | tee -a "$OUT/summary.txt"

echo "== 1. driver probe (ctypes)" | tee -a "$OUT/summary.txt"
PYTHONPATH=$PKG timeout 20 "$PY" -c 'from pykeops_go.common import gpu
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
if [[ " $PARTS " == *" go "* ]]; then
run nvrtc 90 '^(TestNVRTCCompilesMatrix|TestNVRTCReportsErrors|TestCompilerCaches|TestCacheKeyAndFolder|TestChunkedKernelsDoNotSpill)$'
run gpu_matrix 170 '^TestGPUMatchesEngine$'
export GOKEOPS_W1_CHECK=1
run w1 50 '^TestGPUW1Timing$'
fi

cd "$ROOT"
if [[ " $PARTS " == *" python "* ]]; then
echo "== 5. Python extension (py312 bundle)" | tee -a "$OUT/summary.txt"
if [ ! -d "$PYB/pykeops_go/_ext_cuda" ]; then
  echo "missing $PYB/pykeops_go/_ext_cuda: run 'make gpu-bundle' on the build machine" | tee -a "$OUT/summary.txt"
  status=1
elif ! "$PY" -c 'import numpy' 2>/dev/null; then
  # numpy (53 MB installed) does not fit in the 64 MiB bundle next to the rest.
  echo "python: $PY has no numpy, which pykeops_go needs" | tee -a "$OUT/summary.txt"
  status=1
else
  # The bundle first (the repository's python/ has no extension); the
  # cache folder is a fresh one under $OUT.
  PYTHONPATH=$PYB XDG_CACHE_HOME=$OUT/cache timeout 240 "$PY" benchmarks/gpu_check.py --out "$OUT" \
    >"$OUT/python.log" 2>&1
  rc=$?
  grep -E '^(ok|FAIL) |checks passed|_s:|_us:|cache_files' "$OUT/python.log" | tee -a "$OUT/summary.txt"
  [ $rc -eq 0 ] || { echo "python: exit $rc (see python.log)" | tee -a "$OUT/summary.txt"; status=1; }
fi
fi

echo "== exit $status" | tee -a "$OUT/summary.txt"
exit $status
