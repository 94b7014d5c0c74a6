"""The GPU backends on a machine without a GPU: which engine variant loads,
how calls are routed and what the errors say. The GPU itself is simulated
where needed: a stand-in for the engine's GPURun runs the same call
descriptor on the CPU engine, so the routed results are checked against a
dense NumPy reference. (benchmarks/gpu_check.sh runs the real thing.)"""

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from conftest import assert_close
from pykeops_go.common import engine, gpu, gpu_backend
from pykeops_go.numpy import Genred, LazyTensor
from pykeops_go.numpy.operations import KernelSolve

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GPU_NAMES = ["GPU", "GPU_1D", "GPU_2D", "GPU_1D_host", "GPU_2D_host", "GPU_1D_device", "GPU_2D_device"]


def _python(code, env=None):
    """Run code in a fresh interpreter (the engine variant is chosen at import)."""
    full = dict(os.environ)
    full.pop("PYKEOPS_GO_NO_GPU", None)
    full.update(env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=full, timeout=120)


def _cuda_so():
    spec = importlib.util.find_spec(gpu.CUDA_EXTENSION)
    assert spec is not None, "pykeops_go._ext_cuda is not installed (setup.py builds it by default)"
    folder = spec.submodule_search_locations[0]
    sos = [f for f in os.listdir(folder) if f.startswith("_gokeops_ext") and f.endswith(".so")]
    assert len(sos) == 1, sos
    return os.path.join(folder, sos[0])


def _needed(path):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=True).stdout
    return [line.split("[", 1)[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]


# ------------------------------------------------------------- the two variants
def test_both_variants_are_installed_and_the_cuda_one_is_not_imported_here():
    assert gpu.cuda_extension_installed()
    assert importlib.util.find_spec("pykeops_go._ext") is not None
    assert engine._go.__name__ == "pykeops_go._ext.gokeops"
    assert engine.call(engine._go.CUDAEnabled) is False
    assert gpu.CUDA_EXTENSION + ".gokeops" not in sys.modules


def test_cuda_variant_links_the_driver_and_not_libpython():
    needed = _needed(_cuda_so())
    assert "libcuda.so.1" in needed
    assert not any(n.startswith("libpython") for n in needed), needed
    cpu = importlib.util.find_spec("pykeops_go._ext").submodule_search_locations[0]
    cpu_so = [os.path.join(cpu, f) for f in os.listdir(cpu) if f.endswith(".so")][0]
    assert not any(n.startswith(("libcuda", "libpython")) for n in _needed(cpu_so))


def test_both_variants_export_the_same_functions():
    def names(package):
        folder = importlib.util.find_spec(package).submodule_search_locations[0]
        with open(os.path.join(folder, "gokeops.py")) as fh:
            return {line.split("(")[0][4:] for line in fh if line.startswith("def ")}

    cpu, cuda = names("pykeops_go._ext"), names(gpu.CUDA_EXTENSION)
    assert cpu == cuda
    assert {"GPURun", "GPUConfigure", "GPUStats", "CUDAEnabled", "Run", "Compile"} <= cpu


def test_no_driver_loads_the_cpu_variant_and_computes():
    r = _python("""
        import numpy as np
        from pykeops_go.common import engine, gpu
        from pykeops_go.numpy import Genred
        x = np.arange(6.0).reshape(3, 2)
        print(engine._go.__name__, gpu.gpu_available(), Genred("SqDist(x,y)", ["x=Vi(2)", "y=Vj(2)"],
              axis=1)(x, x).ravel().tolist())
    """)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split(" ", 2)[:2] == ["pykeops_go._ext.gokeops", "False"]
    assert r.stdout.split(" ", 2)[2].strip() == "[40.0, 16.0, 40.0]"  # sum_j |x_i - x_j|^2


@pytest.fixture
def stub_driver(tmp_path):
    """A folder whose libcuda.so.1 is the build's link stub: it loads, and cuInit fails."""
    stub = os.path.join(ROOT, "build", "cudastub", "libcuda.so")
    assert os.path.exists(stub), "build/cudastub/libcuda.so is made by the build of pykeops_go._ext_cuda"
    os.symlink(stub, tmp_path / "libcuda.so.1")
    return str(tmp_path)


def test_a_driver_without_device_loads_the_cpu_variant(stub_driver):
    # The probe sees a libcuda.so.1 whose cuInit fails: the CPU variant loads and works.
    r = _python("""
        import numpy as np
        from pykeops_go.common import engine, gpu
        from pykeops_go.numpy import Genred
        print(gpu.info().reason)
        print(engine._go.__name__)
        print(Genred("SqDist(x,y)", ["x=Vi(1)", "y=Vj(1)"], axis=1)(np.ones((2, 1)), np.zeros((3, 1))).ravel())
    """, {"LD_LIBRARY_PATH": stub_driver})
    assert r.returncode == 0, r.stderr
    reason, module, result = r.stdout.splitlines()
    assert reason == "cuInit failed: the NVIDIA driver found no usable GPU"
    assert module == "pykeops_go._ext.gokeops"
    assert result == "[3. 3.]"


def test_importing_the_cuda_variant_without_a_device_ends_the_process(stub_driver):
    # Why the probe exists: gorgonia.org/cu's cuInit at start-up calls os.Exit(1). The Go
    # runtime of a c-shared library starts in the background as the library loads; the
    # first call into it waits for that start, so the process ends there at the latest.
    r = _python("import pykeops_go._ext_cuda.gokeops as g\ng.CUDAEnabled()\nprint('survived')",
                {"LD_LIBRARY_PATH": stub_driver})
    assert r.returncode == 1 and "survived" not in r.stdout
    assert "Error in initialization" in r.stdout


def test_variant_choice_follows_the_probe(monkeypatch):
    dev = {"id": 0, "name": "Simulated", "compute_capability": (9, 0), "total_memory": 1 << 30,
           "multiprocessors": 132}
    monkeypatch.setattr(gpu, "info", lambda: gpu.GpuInfo(13000, (dev,), ""))
    assert gpu.extension_module() == gpu.CUDA_EXTENSION
    monkeypatch.setattr(gpu, "info", lambda: gpu.GpuInfo(0, (), "no driver"))
    assert gpu.extension_module() == "pykeops_go._ext"
    monkeypatch.setattr(gpu, "info", lambda: gpu.GpuInfo(13000, (dev,), ""))
    monkeypatch.setattr(gpu, "cuda_extension_installed", lambda: False)
    assert gpu.extension_module() == "pykeops_go._ext"


def test_config_reports_the_hardware():
    import pykeops

    assert pykeops.config.gpu_available is gpu.gpu_available() is False
    from pykeops.common.gpu_utils import get_gpu_number

    assert get_gpu_number() == gpu.get_gpu_number() == 0


# --------------------------------------------------------- errors without a GPU
def _gauss():
    return Genred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(2)"], reduction_op="Sum", axis=1)


def _data(M=40, N=70, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in ((M, 3), (N, 3), (N, 2))]


def _gauss_ref(x, y, b):
    x, y, b = (a.astype(np.float64) for a in (x, y, b))
    return np.exp(-((x[:, None] - y[None]) ** 2).sum(-1)) @ b


@pytest.mark.parametrize("name", GPU_NAMES)
def test_genred_gpu_backend_without_gpu_names_the_backend(name):
    with pytest.raises(ValueError, match=rf"backend '{name}' needs a GPU: .*libcuda\.so\.1"):
        _gauss()(*_data(), backend=name)


def test_lazytensor_and_kernelsolve_gpu_without_gpu():
    x, y, b = _data()
    K = (-((LazyTensor(x[:, None]) - LazyTensor(y[None])) ** 2).sum(-1)).exp()
    with pytest.raises(ValueError, match="backend 'GPU_2D' needs a GPU"):
        (K * LazyTensor(b[None])).sum(1, backend="GPU_2D")
    ks = KernelSolve("Exp(-SqDist(x,x2))*a", ["x=Vi(3)", "x2=Vj(3)", "a=Vj(1)"], "a", axis=1)
    with pytest.raises(ValueError, match="backend 'GPU' needs a GPU"):
        ks(x, x, np.ones((40, 1)), alpha=1.0, backend="GPU")


def test_cpu_variant_gpurun_refuses_after_checking():
    g = _gauss()
    x, y, b = _data()
    p = g.kernel.plan(np.dtype(np.float64), 40, 70, (), [(), (), ()], 80, 0)
    vals = np.empty((40, 2))
    with pytest.raises(ValueError, match="no CUDA support"):
        gpu_backend.run_host(p, [x, y, b], vals, None, gpu.Backend("GPU", "1D", "host"), -1, True)
    with pytest.raises(ValueError, match="argument 1 .* has 207 values, expected 210"):
        gpu_backend.run_host(p, [x, y[:69], b], vals, None, gpu.Backend("GPU", "1D", "host"), -1, True)


def test_check_same_device_names_the_arguments():
    torch = pytest.importorskip("torch")
    cpu, meta = torch.zeros(4, 3), torch.zeros(4, 3, device="meta")
    with pytest.raises(ValueError, match="argument 0 is on cpu but argument 2 is on meta"):
        gpu_backend.check_same_device([cpu, cpu, meta])
    with pytest.raises(TypeError, match="argument 1 must be a torch.Tensor"):
        gpu_backend.check_same_device([cpu, np.zeros(3)])
    with pytest.raises(ValueError, match="GPU tensors expected"):
        gpu_backend.check_same_device([cpu, cpu])
    assert not gpu_backend.on_device([cpu, meta, np.zeros(2)])


# ------------------------------------------------------ routing, GPU simulated
class _SimulatedEngine:
    """The CPU engine, with GPURun and GPUConfigure recorded: GPURun runs the
    host descriptor it is given on the CPU (Run), as the device would."""

    def __init__(self, real):
        self.real, self.runs, self.configs = real, [], []

    def __getattr__(self, name):
        return getattr(self.real, name)

    def GPURun(self, h, dtype, device, scheme, fast_math, on_device, stream, desc, ndesc):
        self.runs.append(dict(dtype=dtype, device=device, scheme=scheme, fast_math=fast_math,
                              on_device=on_device, stream=stream))
        assert not on_device
        return self.real.Run(h, dtype, desc, ndesc)

    def GPUConfigure(self, sites, cache):
        self.configs.append((sites, cache))
        return True


@pytest.fixture
def simulated_gpu(monkeypatch):
    dev = {"id": 0, "name": "Simulated", "compute_capability": (9, 0), "total_memory": 1 << 34,
           "multiprocessors": 132}
    monkeypatch.setattr(gpu, "info", lambda: gpu.GpuInfo(13000, (dev,), ""))
    monkeypatch.setattr(gpu, "cuda_extension_installed", lambda: True)
    sim = _SimulatedEngine(engine._go)
    monkeypatch.setattr(engine, "_go", sim)
    monkeypatch.setattr(gpu_backend, "_configured", None)
    return sim


@pytest.mark.parametrize("backend, scheme", [("auto", 0), ("GPU", 0), ("GPU_1D", 1), ("GPU_2D", 2),
                                             ("GPU_1D_host", 1), ("GPU_2D_host", 2)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_genred_routes_to_gpurun(simulated_gpu, backend, scheme, dtype):
    x, y, b = _data(dtype=dtype)
    g = _gauss()
    g.use_fast_math = dtype == np.float32
    res = g(x, y, b, backend=backend)
    assert res.dtype == dtype
    assert_close(res, _gauss_ref(x, y, b), dtype)
    assert simulated_gpu.runs == [dict(dtype=0 if dtype == np.float32 else 1, device=0, scheme=scheme,
                                       fast_math=dtype == np.float32, on_device=False, stream=0)]
    # No CPU shortcut is left for later calls: they go to the GPU too.
    g(x, y, b, backend=backend)
    assert len(simulated_gpu.runs) == 2


def test_cpu_backend_stays_on_the_cpu_with_a_gpu(simulated_gpu):
    x, y, b = _data()
    assert_close(_gauss()(x, y, b, backend="CPU"), _gauss_ref(x, y, b), np.float64)
    assert simulated_gpu.runs == []


@pytest.mark.parametrize("name", ["GPU_1D_device", "GPU_2D_device"])
def test_device_backend_with_host_arrays(simulated_gpu, name):
    with pytest.raises(ValueError, match=f"backend '{name}' expects arguments in GPU memory"):
        _gauss()(*_data(), backend=name)


def test_routed_reductions_with_indices_ranges_and_batch(simulated_gpu):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((30, 2)), rng.standard_normal((50, 2))
    d2 = ((x[:, None] - y[None]) ** 2).sum(-1)
    knn = Genred("SqDist(x,y)", ["x=Vi(2)", "y=Vj(2)"], reduction_op="ArgKMin", axis=1, opt_arg=4)
    np.testing.assert_array_equal(knn(x, y, backend="GPU"), np.argsort(d2, axis=1, kind="stable")[:, :4])
    # Block-sparse: rows 0-14 see j in [0, 20), rows 15-29 see [20, 50).
    ranges = (np.array([[0, 15], [15, 30]]), np.array([1, 2]), np.array([[0, 20], [20, 50]]),
              np.array([[0, 20], [20, 50]]), np.array([1, 2]), np.array([[0, 15], [15, 30]]))
    s = Genred("SqDist(x,y)", ["x=Vi(2)", "y=Vj(2)"], axis=1)
    want = np.concatenate([d2[:15, :20].sum(1), d2[15:, 20:].sum(1)])[:, None]
    assert_close(s(x, y, backend="GPU_1D", ranges=ranges), want, np.float64)
    xb, yb = rng.standard_normal((2, 30, 2)), rng.standard_normal((1, 50, 2))
    want = ((xb[:, :, None] - yb[:, None]) ** 2).sum(-1).sum(-1, keepdims=True)
    assert_close(s(xb, yb, backend="GPU_2D"), want, np.float64)
    assert [r["scheme"] for r in simulated_gpu.runs] == [0, 1, 2]


def test_lazytensor_and_kernelsolve_products_go_to_the_gpu(simulated_gpu):
    x, y, b = _data()
    K = (-((LazyTensor(x[:, None]) - LazyTensor(y[None])) ** 2).sum(-1)).exp()
    assert_close((K * LazyTensor(b[None])).sum(1, backend="GPU"), _gauss_ref(x, y, b), np.float64)
    assert len(simulated_gpu.runs) == 1
    ks = KernelSolve("Exp(-SqDist(x,x2))*a", ["x=Vi(3)", "x2=Vj(3)", "a=Vj(1)"], "a", axis=1)
    rhs = np.linspace(0, 1, 40)[:, None]
    sol = ks(x, x, rhs, alpha=1.0, backend="GPU_1D")
    Kxx = np.exp(-((x[:, None] - x[None]) ** 2).sum(-1))
    # Conjugate gradient to its default tolerance (eps=1e-6 on the residual).
    np.testing.assert_allclose((Kxx + np.eye(40)) @ sol, rhs, atol=1e-5)
    assert len(simulated_gpu.runs) > 2 and {r["scheme"] for r in simulated_gpu.runs[1:]} == {1}


def test_engine_follows_the_build_folder(simulated_gpu, tmp_path):
    from pykeops_go import utils

    old = utils.get_build_folder()
    try:
        x, y, b = _data()
        utils.set_build_folder(str(tmp_path / "one"))
        _gauss()(x, y, b, backend="GPU")
        _gauss()(x, y, b, backend="GPU")
        utils.set_build_folder(str(tmp_path / "two"))
        _gauss()(x, y, b, backend="GPU")
    finally:
        utils.set_build_folder(old)
    assert [c[1] for c in simulated_gpu.configs] == [str(tmp_path / "one" / "cuda"),
                                                    str(tmp_path / "two" / "cuda")]
    assert simulated_gpu.configs[0][0] == os.pathsep.join(gpu.nvrtc_search_path())


def test_bad_device_id(simulated_gpu):
    with pytest.raises(ValueError, match="device_id 3: this machine has 1 GPU"):
        _gauss()(*_data(), backend="GPU", device_id=3)
    with pytest.raises(ValueError, match="device_id must be -1"):
        _gauss()(*_data(), backend="GPU", device_id=-5)


# ------------------------------------------- torch CUDA tensors, device simulated
@pytest.fixture
def simulated_device(simulated_gpu, monkeypatch):
    """CPU tensors stand in for CUDA tensors: host memory is what the simulated
    GPURun reads at the device addresses it is given."""
    torch = pytest.importorskip("torch")
    from types import SimpleNamespace

    monkeypatch.setattr(gpu_backend, "check_same_device", lambda args, name="Genred": torch.device("cpu"))
    monkeypatch.setattr(torch.cuda, "current_stream", lambda device=None: SimpleNamespace(cuda_stream=1234))

    def run(h, dtype, device, scheme, fast_math, on_device, stream, desc, ndesc):
        simulated_gpu.runs.append(dict(dtype=dtype, device=device, scheme=scheme, on_device=on_device,
                                       stream=stream))
        if dtype == engine._go.Float16:
            raise RuntimeError("ValueError: simulated device: float16")
        return engine._go.real.Run(h, dtype, desc, ndesc)

    simulated_gpu.GPURun = run
    return torch


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_device_path(simulated_device, simulated_gpu, dtype):
    torch = simulated_device
    from pykeops.torch import Genred as TorchGenred

    tdt = getattr(torch, dtype)
    x, y, b = (torch.from_numpy(a).to(tdt) for a in _data(dtype=np.float64))
    g = TorchGenred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(2)"], axis=1)
    for backend, scheme in (("auto", 0), ("GPU_1D_device", 1), ("GPU_2D", 2)):
        for _ in range(2):  # the second call of these shapes: the cached call
            res = gpu_backend.torch_forward(g, [x, y, b], backend, -1, None, None)
            assert isinstance(res, torch.Tensor) and res.dtype == tdt and res.shape == (40, 2)
            assert_close(res.numpy(), _gauss_ref(x.numpy(), y.numpy(), b.numpy()), np.dtype(dtype))
        assert simulated_gpu.runs[-2:] == [dict(dtype=0 if dtype == "float32" else 1, device=0, scheme=scheme,
                                                on_device=True, stream=1234)] * 2
    assert len(g._gpu_calls) == 3
    # Indices and (values, indices) pairs, batch dimensions.
    knn = TorchGenred("SqDist(x,y)", ["x=Vi(3)", "y=Vj(3)"], reduction_op="KMin_ArgKMin", axis=1, opt_arg=3)
    v, i = gpu_backend.torch_forward(knn, [x, y], "GPU", -1, None, None)
    d2 = ((x.double()[:, None] - y.double()[None]) ** 2).sum(-1).numpy()
    assert i.dtype == torch.int64 and v.shape == i.shape == (40, 3)
    if dtype == "float64":
        np.testing.assert_array_equal(i.numpy(), np.argsort(d2, axis=1, kind="stable")[:, :3])
    assert_close(v.numpy(), np.sort(d2, axis=1)[:, :3], np.dtype(dtype))
    xb = torch.stack([x, 2 * x])
    res = gpu_backend.torch_forward(g, [xb, y[None], b[None]], "GPU", -1, None, None)
    assert res.shape == (2, 40, 2)
    assert_close(res[1].numpy(), _gauss_ref(2 * x.numpy(), y.numpy(), b.numpy()), np.dtype(dtype))
    out = torch.empty(40, 2, dtype=tdt)
    assert gpu_backend.torch_forward(g, [x, y, b], "GPU", -1, None, out) is out
    assert_close(out.numpy(), _gauss_ref(x.numpy(), y.numpy(), b.numpy()), np.dtype(dtype))


def test_torch_device_path_errors(simulated_device, simulated_gpu):
    torch = simulated_device
    from pykeops.torch import Genred as TorchGenred

    x, y, b = (torch.from_numpy(a).float() for a in _data(dtype=np.float64))
    g = TorchGenred("Exp(-SqDist(x,y))*b", ["x=Vi(3)", "y=Vj(3)", "b=Vj(2)"], axis=1)
    with pytest.raises(ValueError, match="argument 2 has dtype torch.float64 but argument 0 has torch.float32"):
        gpu_backend.torch_forward(g, [x, y, b.double()], "GPU", -1, None, None)
    with pytest.raises(ValueError, match="argument 1 .*has 4 columns"):
        gpu_backend.torch_forward(g, [x, torch.zeros(70, 4), b], "GPU", -1, None, None)
    with pytest.raises(ValueError, match="argument 2 .*has 69 rows but argument 1 has 70"):
        gpu_backend.torch_forward(g, [x, y, b[:69]], "GPU", -1, None, None)
    with pytest.raises(ValueError, match="Invalid number of arguments"):
        gpu_backend.torch_forward(g, [x, y], "GPU", -1, None, None)
    with pytest.raises(ValueError, match="backend 'CPU' cannot read arguments in GPU memory"):
        gpu_backend.torch_forward(g, [x, y, b], "CPU", -1, None, None)
    with pytest.raises(ValueError, match="device_id=1 but the arguments are on"):
        gpu_backend.torch_forward(g, [x, y, b], "GPU", 1, None, None)
    with pytest.raises(ValueError, match="simulated device: float16"):
        gpu_backend.torch_forward(g, [x.half(), y.half(), b.half()], "GPU", -1, None, None)
    assert simulated_gpu.runs[-1]["dtype"] == engine._go.Float16
    with pytest.raises(ValueError, match="out must be a torch.float32 tensor of shape"):
        gpu_backend.torch_forward(g, [x, y, b], "GPU", -1, None, torch.empty(40, 3))


def test_torch_kernel_solve_device_path(simulated_device, simulated_gpu, monkeypatch):
    """KernelSolve on (simulated) CUDA tensors: the plain conjugate gradient on the tensors,
    every product a Genred on their GPU; precond='nystrom' falls back to it with a warning."""
    torch = simulated_device
    from pykeops.torch import KernelSolve as TorchKernelSolve
    from pykeops_go.common.solve import SolveInfo

    monkeypatch.setattr(gpu_backend, "on_device", lambda args: True)
    x, _, _ = _data(M=50, dtype=np.float64)
    b = np.random.default_rng(1).standard_normal((50, 2))
    A = np.exp(-((x[:, None] - x[None]) ** 2).sum(-1)) + 0.5 * np.eye(50)
    ks = TorchKernelSolve("Exp(-SqDist(x,y))*a", ["x=Vi(3)", "y=Vj(3)", "a=Vj(2)"], "a", axis=1)
    xt, bt = torch.from_numpy(x), torch.from_numpy(b)
    seen = []
    a, info = ks(xt, xt, bt, alpha=0.5, rtol=1e-12, callback=lambda it, a, rel: seen.append(type(a)),
                 return_info=True)
    assert isinstance(a, torch.Tensor) and isinstance(info, SolveInfo) and info.converged
    assert seen and set(seen) == {torch.Tensor}
    assert len(simulated_gpu.runs) == info.products and all(r["on_device"] for r in simulated_gpu.runs)
    assert_close(a.numpy(), np.linalg.solve(A, b), np.float64, scale=np.abs(b).max() * 1e2)
    with pytest.warns(RuntimeWarning, match="precond='nystrom' runs on arrays in host memory"):
        a2, info2 = ks(xt, xt, bt, alpha=0.5, rtol=1e-12, precond="nystrom", return_info=True)
    assert info2.precond is None and info2.converged
    assert_close(a2.numpy(), np.linalg.solve(A, b), np.float64, scale=np.abs(b).max() * 1e2)
