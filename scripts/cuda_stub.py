"""The CUDA build inputs of the cuda-tagged engine, with no GPU and no toolkit.

gorgonia.org/cu (the launcher of pkg/cudagen) compiles against ``cuda.h`` and
links ``-lcuda``. The headers come from the PyPI wheel
``nvidia-cuda-runtime-cu12`` (CUDA 12: gorgonia.org/cu v0.9.6 does not compile
against CUDA 13's); ``libcuda`` is not on PyPI, so the link uses a stub: a
shared library with the soname ``libcuda.so.1`` defining every ``cu*``
function that ``cuda.h`` declares (each returning an error). At run time the
driver's own ``libcuda.so.1`` is loaded in its place.

Used by setup.py (the ``pykeops_go._ext_cuda`` variant) and the Makefile::

    python scripts/cuda_stub.py OUT_DIR [INCLUDE_DIR]
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig

HEADER = "cuda.h"
# Declared driver functions: cuInit(, cuMemAlloc_v2 (, ...
_DECL = re.compile(r"\bcu[A-Z][A-Za-z0-9_]*(?=\s*\()")


def find_include(paths: list[str] | None = None) -> str | None:
    """The folder holding the CUDA 12 ``cuda.h`` of the nvidia-cuda-runtime-cu12 wheel:
    ``PYKEOPS_GO_CUDA_INCLUDE`` if set, else the wheel under any of ``paths``
    (default: sys.path and this interpreter's site-packages)."""
    env = os.environ.get("PYKEOPS_GO_CUDA_INCLUDE")
    if env:
        return env if os.path.isfile(os.path.join(env, HEADER)) else None
    dirs = list(paths if paths is not None else sys.path)
    if paths is None:
        dirs += [sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    for d in dirs:
        inc = os.path.join(d, "nvidia", "cuda_runtime", "include")
        if os.path.isfile(os.path.join(inc, HEADER)):
            return os.path.abspath(inc)
    return None


def stub_source(include: str, cc: str = "cc") -> str:
    """C source defining every function that cuda.h declares, each returning
    999 (CUDA_ERROR_UNKNOWN): the stub fails cuInit if it is ever loaded."""
    pre = subprocess.run([cc, "-E", "-I" + include, "-"], input="#include <cuda.h>\n",
                         capture_output=True, text=True, check=True).stdout
    names = sorted(set(_DECL.findall(pre)))
    if "cuInit" not in names:
        raise RuntimeError(f"{include}/{HEADER} declares no cuInit: not the CUDA driver API header")
    return "".join(f"int {n}(void) {{ return 999; }}\n" for n in names)


def build_stub(out_dir: str, include: str, cc: str | None = None) -> str:
    """Write ``out_dir/libcuda.so`` (soname libcuda.so.1) unless it is newer than cuda.h;
    returns its path."""
    cc = cc or os.environ.get("CC") or "cc"
    lib = os.path.join(out_dir, "libcuda.so")
    header = os.path.join(include, HEADER)
    if os.path.exists(lib) and os.path.getmtime(lib) >= os.path.getmtime(header):
        return lib
    os.makedirs(out_dir, exist_ok=True)
    src = os.path.join(out_dir, "stub.c")
    with open(src, "w") as fh:
        fh.write(stub_source(include, cc))
    subprocess.run([cc, "-shared", "-fPIC", "-Wl,-soname,libcuda.so.1", "-o", lib + ".tmp", src], check=True)
    os.replace(lib + ".tmp", lib)
    return lib


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    inc = sys.argv[2] if len(sys.argv) == 3 else find_include()
    if not inc or not os.path.isfile(os.path.join(inc, HEADER)):
        sys.exit(f"no CUDA 12 {HEADER} found: pip install nvidia-cuda-runtime-cu12")
    print(build_stub(sys.argv[1], inc))
