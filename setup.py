"""Build the Go engine (./gokeops) into the subpackage pykeops_go._ext with gopy.

Everything else (metadata, Python packages) is declared in pyproject.toml.

gopy works in build/ext/cpXY (one per Python version): that directory must lie inside the Go module (gopy
runs `go build` there) and no path component may start with "_" or ".".
Its outputs (gokeops.py, go.py, __init__.py and the .so) are then copied to
the directory of pykeops_go._ext: build_lib for a wheel, python/pykeops_go/_ext
for an in-place or editable build.

gopy is skipped when a hash of its inputs (Go sources, go.mod/go.sum, Go
version, Python, flags) matches the previous run, so `pip install`, `make ext`
and `make test` are cheap when no Go file changed. `build_ext --force` rebuilds.

Two variants of the same Go package are built: pykeops_go._ext (CPU only) and
pykeops_go._ext_cuda (`-tags cuda`: the GPU launcher of pkg/cudagen, which
links libcuda.so.1). The CUDA one builds on any machine with a C compiler:
the CUDA 12 headers come from the PyPI wheel nvidia-cuda-runtime-cu12 (a build
requirement in pyproject.toml) and the link uses a stub libcuda.so.1
(scripts/cuda_stub.py); the driver's library replaces it at run time. The
Python layer imports it only once a ctypes check found a driver and a
device (pykeops_go/common/gpu.py). PYKEOPS_GO_CUDA=0 builds the CPU
variant only (quicker development loops).
"""

import glob
import hashlib
import os
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
# One directory per CPython minor version, so that builds for several
# interpreters (make test-python) do not invalidate each other.
GOPY_OUT = os.path.join(ROOT, "build", "ext", "cp%d%d" % sys.version_info[:2])
TOOLS = os.path.join(ROOT, "build", "tools")
GO_PKG = "./gokeops"
NAME = "gokeops_ext"  # gopy -name; the .so is _gokeops_ext<EXT_SUFFIX>
CUDA_STUB_DIR = os.path.join(ROOT, "build", "cudastub")
CPU_EXT, CUDA_EXT = "pykeops_go._ext", "pykeops_go._ext_cuda"


def build_cuda_variant() -> bool:
    """Whether to build pykeops_go._ext_cuda too (the default; PYKEOPS_GO_CUDA=0: no)."""
    return os.environ.get("PYKEOPS_GO_CUDA", "1").strip().lower() not in ("0", "no", "false", "off")


def cuda_tools():
    """scripts/cuda_stub.py, loaded by path (setup.py is not run from a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("cuda_stub", os.path.join(ROOT, "scripts", "cuda_stub.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def go_env():
    env = dict(os.environ)
    # gopy calls goimports by name.
    env["PATH"] = TOOLS + os.pathsep + env.get("PATH", "")
    # VCS stamping is useless here and fails in odd checkouts (no git, other owner).
    if "-buildvcs" not in env.get("GOFLAGS", ""):
        env["GOFLAGS"] = (env.get("GOFLAGS", "") + " -buildvcs=false").strip()
    # The engine has SIMD kernels tagged goexperiment.simd; enable them when the
    # toolchain knows the experiment (Go >= 1.26), unless the user chose already.
    if "GOEXPERIMENT" not in env:
        probe = subprocess.run(["go", "env", "GOEXPERIMENT"], cwd=ROOT,
                               env=dict(env, GOEXPERIMENT="simd"),
                               capture_output=True)
        if probe.returncode == 0:
            env["GOEXPERIMENT"] = "simd"
    return env


def inputs_hash(env, cmd):
    """Hash of everything the gopy output depends on."""
    h = hashlib.sha256()
    go_version = subprocess.run(["go", "version"], env=env, check=True,
                                capture_output=True, text=True).stdout
    for part in (go_version, env.get("GOEXPERIMENT", ""), " ".join(cmd)):
        h.update(part.encode() + b"\0")
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel = os.path.relpath(dirpath, ROOT)
        # Same pruning as the go tool, plus outputs and the Python tree.
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith((".", "_"))
                             and not (rel == "." and d in ("build", "python", "dist")))
        for f in sorted(filenames):
            if f.endswith(".go") or f in ("go.mod", "go.sum"):
                path = os.path.join(dirpath, f)
                h.update(os.path.relpath(path, ROOT).encode() + b"\0")
                with open(path, "rb") as fh:
                    h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


class GopyBuildExt(build_ext):
    """build_ext whose only extension is built by gopy instead of a C compiler."""

    def run(self):
        # Replaces setuptools' run(): get_ext_fullpath() already points into the
        # source tree when inplace (build_ext --inplace, editable installs).
        for ext in self.extensions:
            self.build_gopy(ext)
        if not build_cuda_variant():
            # A CUDA engine left by an earlier build would still be found (and
            # loaded on a GPU machine) beside the CPU engine just rebuilt.
            cpu = os.path.dirname(self.get_ext_fullpath(CPU_EXT + "._" + NAME))
            stale = os.path.join(os.path.dirname(cpu), CUDA_EXT.rpartition(".")[2])
            if os.path.isdir(stale):
                shutil.rmtree(stale)

    def build_gopy(self, ext):
        package = ext.name.rpartition(".")[0]
        cuda = package == CUDA_EXT
        env = go_env()
        out = GOPY_OUT + ("cuda" if cuda else "")
        stamp = os.path.join(out, "inputs.sha256")
        extra = []
        if cuda:
            tools = cuda_tools()
            include = tools.find_include()
            if include is None:
                raise RuntimeError(
                    "building pykeops_go._ext_cuda needs the CUDA 12 headers of the PyPI wheel "
                    "nvidia-cuda-runtime-cu12 (a build requirement: pip install nvidia-cuda-runtime-cu12 "
                    "for builds without isolation), or PYKEOPS_GO_CUDA_INCLUDE=<folder of cuda.h>; "
                    "PYKEOPS_GO_CUDA=0 builds the CPU engine only")
            tools.build_stub(CUDA_STUB_DIR, include)
            # The first `go build` of gopy reads CGO_*; its final link sets
            # CGO_CFLAGS / CGO_LDFLAGS itself, adding GOPY_INCLUDE / GOPY_LIBDIR.
            env["CGO_CFLAGS"] = (env.get("CGO_CFLAGS", "") + " -I" + include).strip()
            env["CGO_LDFLAGS"] = (env.get("CGO_LDFLAGS", "") + " -L" + CUDA_STUB_DIR).strip()
            env["GOPY_INCLUDE"], env["GOPY_LIBDIR"] = include, CUDA_STUB_DIR
            extra = ["-build-tags=cuda"]
            with open(os.path.join(include, "cuda.h"), "rb") as fh:
                header_hash = hashlib.sha256(fh.read()).hexdigest()
        # Pinned tool versions come from go.mod (`tool` directives).
        subprocess.run(["go", "build", "-o", TOOLS + os.sep,
                        "github.com/go-python/gopy",
                        "golang.org/x/tools/cmd/goimports"],
                       cwd=ROOT, env=env, check=True)
        # -dynamic-link: link with the flags of a Python extension (LDSHARED),
        # not with -lpython3.X: the interpreter that imports the module
        # provides the C API, so the extension loads in any interpreter of
        # its minor version, including statically linked ones.
        cmd = [os.path.join(TOOLS, "gopy"), "build", "-vm=" + sys.executable, *extra,
               "-dynamic-link=true", "-output=" + out, "-name=" + NAME, GO_PKG]
        digest = inputs_hash(env, cmd + ([header_hash] if cuda else []))
        so = os.path.join(out, "_" + NAME + self._suffix())
        up_to_date = (os.path.exists(so) and os.path.exists(stamp)
                      and open(stamp).read() == digest)
        if self.force or not up_to_date:
            print("gopy (GOEXPERIMENT=%s): %s" % (env.get("GOEXPERIMENT", ""), " ".join(cmd)))
            if os.path.exists(stamp):
                os.remove(stamp)
            try:
                subprocess.run(cmd, cwd=ROOT, env=env, check=True)
            finally:
                # build/ext is inside the module: left as .go files, the generated
                # package main would be picked up by `go vet ./...`/`go test ./...`
                # (and break them once stale). Keep it readable, hidden from Go.
                for f in glob.glob(os.path.join(out, "*.go")):
                    os.replace(f, f + ".txt")
            with open(stamp, "w") as fh:
                fh.write(digest)
        else:
            print("gopy output up to date: " + out)

        dest = os.path.dirname(self.get_ext_fullpath(ext.name))
        os.makedirs(dest, exist_ok=True)
        for f in ("__init__.py", "go.py", "gokeops.py", os.path.basename(so)):
            # Copy then rename: overwriting the .so in place would crash a
            # Python process that has it loaded (SIGBUS); a rename keeps its inode.
            target = os.path.join(dest, f)
            shutil.copy2(os.path.join(out, f), target + ".tmp")
            os.replace(target + ".tmp", target)

    @staticmethod
    def _suffix():
        import sysconfig
        return sysconfig.get_config_var("EXT_SUFFIX")


EXTENSIONS = [CPU_EXT] + ([CUDA_EXT] if build_cuda_variant() else [])

setup(
    # A declared extension makes the wheel platform-specific (not py3-none-any).
    ext_modules=[Extension(package + "._" + NAME, sources=[]) for package in EXTENSIONS],
    cmdclass={"build_ext": GopyBuildExt},
)
