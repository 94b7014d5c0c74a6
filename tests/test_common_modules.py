"""pykeops.common.* and pykeops.config as pykeops 2.3 has them: option parsing,
backend tags, raw-output post-processing, GPU queries and the config objects."""

import ctypes

import numpy as np
import pytest

import pykeops
import pykeops.config as config
from pykeops.common import get_options, gpu_utils, lazy_tensor, operations, parse_type, utils
from pykeops_go.common import gpu_utils as go_gpu_utils  # the module whose globals the functions read

# ----------------------------------------------------------------- parse_type


def test_get_type_forms():
    assert parse_type.get_type("x = Vi(3)") == ("x", 0, 3, None)
    assert parse_type.get_type("x=Vj(2,4)") == ("x", 1, 4, 2)
    assert parse_type.get_type("Pm(5)", position_in_list=3) == (None, 2, 5, 3)
    assert parse_type.get_type("Var(1,2,0)") == (None, 0, 2, 1)
    assert parse_type.categories == {"Vi": 0, "Vj": 1, "Pm": 2}
    with pytest.raises(ValueError):
        parse_type.get_type("x = Vk(3)")


def test_get_sizes():
    x, y, p = np.ones((7, 3)), np.ones((5, 3)), np.ones(1)
    assert parse_type.get_sizes(["p=Pm(1)", "x=Vi(3)", "y=Vj(3)"], p, x, y) == (7, 5)
    assert parse_type.get_sizes(["x=Vi(3)"], x) == (7, 1)  # no j variable: N = 1
    assert parse_type.get_sizes(["p=Pm(1)"], p) == (1, 1)
    with pytest.raises(ValueError, match="argument 1"):
        parse_type.get_sizes(["x=Vi(3)", "y=Vj(3)"], x)
    with pytest.raises(ValueError, match="2 dimensions"):
        parse_type.get_sizes(["x=Vi(3)"], np.ones(3))


def test_get_optional_flags():
    f = parse_type.get_optional_flags("Sum", "auto", False, "auto", True, True)
    assert f == {"dtype_acc": "auto", "sum_scheme": "block_sum", "use_fast_math": 1, "enable_chunks": 1}
    f = parse_type.get_optional_flags("Min", "auto", False, "auto", False, False)
    assert f == {"dtype_acc": "auto", "sum_scheme": "direct_sum", "use_fast_math": 0, "enable_chunks": 0}
    f = parse_type.get_optional_flags("Max_SumShiftExp", "auto", True, "kahan_scheme", True, False)
    assert f["dtype_acc"] == "float64" and f["sum_scheme"] == "kahan_scheme"
    for args, msg in [(("Sum", "float32", True, "auto"), "both"),
                      (("Min", "float64", False, "auto"), "dtype_acc"),
                      (("ArgMin", "auto", False, "block_sum"), "block_sum"),
                      (("Sum", "auto", False, "fast"), "sum_scheme")]:
        with pytest.raises(ValueError, match=msg):
            parse_type.get_optional_flags(*args, True, True)


def test_parse_dtype_acc():
    cases = {("auto", "float32"): "float", ("float64", "float32"): "double", ("auto", "float64"): "double",
             ("auto", "float16"): "half2", ("float32", "float16"): "float2"}
    for args, res in cases.items():
        assert parse_type.parse_dtype_acc(*args) == res
    for bad in [("float16", "float32"), ("float32", "float64"), ("int8", "int8")]:
        with pytest.raises(ValueError, match="dtype_acc"):
            parse_type.parse_dtype_acc(*bad)


def test_complete_aliases_appends_the_vars_of_the_formula():
    aliases = ["a=Vi(1)", "b=Vj(1)"]
    assert parse_type.complete_aliases("Var(3,1,0)*Var(2,1,1)+a", aliases) is aliases
    assert aliases == ["a=Vi(1)", "b=Vj(1)", "Var(2,1,1)", "Var(3,1,0)"]


# ---------------------------------------------------------------- get_options


def test_tag_backend():
    arrays = [np.ones((2, 3)), np.ones((4, 3))]
    tags = {"auto": (0, 0, 0), "CPU": (0, 0, 0), "GPU": (1, 0, 0), "GPU_1D": (1, 0, 0),
            "GPU_2D": (1, 1, 0), "GPU_1D_device": (1, 0, 1), "GPU_2D_host": (1, 1, 0)}
    for backend, tag in tags.items():
        assert get_options.get_tag_backend(backend, arrays) == tag
    assert get_options.get_tag_backend("GPU_2D_device", arrays, str=True) == ("GPU", "2D", "device")
    assert get_options.get_tag_backend("auto", arrays, str=True) == ("CPU", "1D", "host")
    with pytest.raises(ValueError, match="Invalid backend"):
        get_options.get_tag_backend("TPU", arrays)
    with pytest.raises(TypeError, match="numpy arrays or torch tensors"):
        get_options.get_tag_backend("auto", [np.ones(2), [1.0, 2.0]])
    assert get_options.SetBackend.possible_options_list[0] == "auto"


# ------------------------------------------------------------------ operations


def test_preprocess():
    assert operations.preprocess("SumSoftMaxWeight", "y") == ("Max_SumShiftExpWeight", "Concat(IntCst(1),y)")
    assert operations.preprocess("SoftMax", "y") == ("Max_SumShiftExpWeight", "Concat(IntCst(1),y)")
    assert operations.preprocess("LogSumExp", None) == ("Max_SumShiftExp", None)
    assert operations.preprocess("LogSumExp", "w") == ("Max_SumShiftExpWeight", "w")
    assert operations.preprocess("Max", None) == ("Max", None)
    with pytest.raises(ValueError, match="weight formula"):
        operations.preprocess("LogSumExpWeight", None)


def test_postprocess_of_raw_outputs():
    raw = np.arange(12.0).reshape(2, 6)
    post = operations.postprocess
    a = post(raw, "numpy", "ArgMin", 1, None, "float64")
    assert a.dtype == np.int64 and a.tolist() == raw.astype(int).tolist()
    vals, idx = post(raw, "numpy", "Min_ArgMin", 1, None, "float64")  # (min, argmin) per dim, D = 3
    assert vals.tolist() == [[0, 1, 2], [6, 7, 8]] and idx.tolist() == [[3, 4, 5], [9, 10, 11]]
    assert post(raw, "numpy", "KMin", 1, 3, "float64").shape == (2, 3, 2)
    assert post(raw[:, :3], "numpy", "KMin", 1, 3, "float64").shape == (2, 3)  # D = 1 squeezed
    assert post(raw, "numpy", "ArgKMin", 1, 6, "float64").dtype == np.int64
    v, i = post(raw, "numpy", "KMin_ArgKMin", 1, 3, "float64")  # K = 3 (value, index) pairs, D = 1
    assert v.tolist() == [[0, 2, 4], [6, 8, 10]] and i.tolist() == [[1, 3, 5], [7, 9, 11]]
    m, s = raw[:, :1], raw[:, 1:2]
    np.testing.assert_allclose(post(raw[:, :2], "numpy", "LogSumExp", 1, None, "float64"), m + np.log(s))
    np.testing.assert_allclose(post(raw, "numpy", "LogSumExp", 1, None, "float64"), m + np.log(raw[:, 1:]))
    np.testing.assert_allclose(post(raw, "numpy", "SumSoftMaxWeight", 1, None, "float64"),
                               raw[:, 2:] / raw[:, 1:2])
    assert post(raw, "numpy", "Sum", 1, None, "float64") is raw


@pytest.mark.parametrize("precond", [False, True])
def test_kernel_linear_solver_gaussian(precond):
    rng = np.random.default_rng(3)
    x, b = rng.random((40, 2)), rng.random((40, 2))
    sigma, alpha = 0.5, 0.1
    K = np.exp(-((x[:, None] - x[None]) ** 2).sum(-1) / sigma**2)
    ref = np.linalg.solve(K + alpha * np.eye(40), b)
    a = operations.KernelLinearSolver("numpy", ("gaussian", 2, 2, sigma), x, b, alpha=alpha, eps=1e-10,
                                      precond=precond)
    np.testing.assert_allclose(a, ref, rtol=1e-6, atol=1e-8)


def test_kernel_linear_solver_callable_and_errors():
    rng = np.random.default_rng(4)
    x, b = rng.random((10, 1)), rng.random((10, 1))
    M = 1 / (1 + (x - x.T) ** 2)
    a = operations.KernelLinearSolver("numpy", lambda u, v, w: (1 / (1 + (u - v.T) ** 2)) @ w, x, b,
                                      alpha=0.5, eps=1e-12)
    np.testing.assert_allclose(a, np.linalg.solve(M + 0.5 * np.eye(10), b), rtol=1e-8)
    with pytest.raises(ValueError, match="gaussian"):
        operations.KernelLinearSolver("numpy", ("laplacian", 1, 1, 1.0), x, b)
    with pytest.raises(TypeError, match="callable"):
        operations.KernelLinearSolver("numpy", 3.0, x, b)
    with pytest.raises(ValueError, match="alpha"):
        operations.KernelLinearSolver("numpy", ("gaussian", 1, 1, 1.0), x, b, alpha=0, precond=True)


def test_conjugate_gradient_solver():
    A = np.array([[4.0, 1.0], [1.0, 3.0]])
    b = np.array([[1.0], [2.0]])
    a = operations.ConjugateGradientSolver("numpy", lambda v: A @ v, b, eps=1e-12)
    np.testing.assert_allclose(a, np.linalg.solve(A, b), rtol=1e-10)


# ----------------------------------------------------------------------- utils


def test_common_utils():
    assert (utils.axis2cat(0), utils.axis2cat(1), utils.cat2axis(0), utils.cat2axis(1)) == (1, 0, 1, 0)
    with pytest.raises(ValueError):
        utils.axis2cat(2)
    assert utils.check_broadcasting((2, 1), (3,)) == (2, 3)
    assert utils.check_broadcasting(None, (4,)) == (4,) and utils.check_broadcasting((4,), None) == (4,)
    with pytest.raises(ValueError, match="Incompatible batch dimensions"):
        utils.check_broadcasting((2, 3), (4,))
    assert utils.max_tuple((1, 5), (3, 2)) == (3, 5)
    assert utils.c_type == {"float16": "half2", "float32": "float", "float64": "double"}
    from pykeops.numpy.utils import numpytools

    assert isinstance(utils.get_tools("numpy"), numpytools)
    with pytest.raises(ValueError, match="lang"):
        utils.get_tools("jax")
    assert utils.WarmUpGpu("numpy") is None
    with pytest.raises(ValueError):
        utils.WarmUpGpu("jax")


def test_messages_follow_verbosity(capsys):
    try:
        pykeops.set_verbose(True)
        utils.pyKeOps_Message("hello")
        utils.pyKeOps_Message("bare", use_tag=False)
        utils.pyKeOps_Warning("careful")
        utils.pyKeOps_Print("plain")
        assert capsys.readouterr().out == "[pyKeOps] hello\nbare\n[pyKeOps] Warning : careful\nplain\n"
        assert pykeops.verbose is True
        pykeops.set_verbose(False)
        assert pykeops.verbose is False
        utils.pyKeOps_Message("hidden")
        utils.pyKeOps_Print("hidden")
        assert capsys.readouterr().out == ""
        pykeops.verbose = True  # scripts assign it directly, as pykeops reads it
        utils.pyKeOps_Warning("shown")
        assert capsys.readouterr().out == "[pyKeOps] Warning : shown\n"
    finally:
        pykeops.set_verbose(True)


def test_lazy_tensor_helpers():
    from pykeops.numpy import LazyTensor

    assert lazy_tensor.same_or_one_test(1, 3, 3) and not lazy_tensor.same_or_one_test(2, 3)
    assert lazy_tensor.is_scalar_and_equals(1.0, 1) and not lazy_tensor.is_scalar_and_equals(True, 1)
    assert lazy_tensor.is_complex_lazytensor(LazyTensor(np.ones((3, 1, 2)) + 1j))
    assert not lazy_tensor.is_complex_lazytensor(LazyTensor(np.ones((3, 1, 2))))
    assert issubclass(lazy_tensor.ComplexGenericLazyTensor, lazy_tensor.GenericLazyTensor)
    with pytest.raises(ValueError, match=r"^\[KeOps\] Error : broken \(error at line"):
        lazy_tensor.KeOps_Error("broken")
    with pytest.raises(ValueError, match=r"^\[KeOps\] Error : broken$"):
        lazy_tensor.KeOps_Error("broken", show_line_number=False)


# ------------------------------------------------------------------- GPU queries


def test_no_cuda_driver_means_no_gpu(monkeypatch):
    monkeypatch.setattr(go_gpu_utils.ctypes.util, "find_library", lambda name: None)
    assert gpu_utils.get_gpu_props() == (0, "")
    assert gpu_utils.get_gpu_number() == 0


class _FakeCuda:
    """A libcuda whose calls return the given error codes and report 2 devices."""

    def __init__(self, init=0, count=0, attr=0):
        self.codes = (init, count, attr)

    def cuInit(self, flags):
        return self.codes[0]

    def cuDeviceGetCount(self, ptr):
        ctypes.cast(ptr, ctypes.POINTER(ctypes.c_int))[0] = 2
        return self.codes[1]

    def cuDeviceGet(self, ptr, d):
        ctypes.cast(ptr, ctypes.POINTER(ctypes.c_int))[0] = d.value
        return 0

    def cuDeviceGetAttribute(self, ptr, attr, device):
        ctypes.cast(ptr, ctypes.POINTER(ctypes.c_int))[0] = {1: 1024, 8: 49152}[attr.value]
        return self.codes[2]


def test_gpu_props_from_the_driver(monkeypatch):
    monkeypatch.setattr(go_gpu_utils, "_libcuda", lambda: _FakeCuda())
    n, flags = gpu_utils.get_gpu_props()
    assert n == 2 and flags.split() == ["-DMAXIDGPU=1", "-DMAXTHREADSPERBLOCK0=1024",
                                        "-DSHAREDMEMPERBLOCK0=49152", "-DMAXTHREADSPERBLOCK1=1024",
                                        "-DSHAREDMEMPERBLOCK1=49152"]
    for codes in [(100, 0, 0), (0, 100, 0), (0, 0, 1)]:  # any driver failure: no GPU, no exception
        monkeypatch.setattr(go_gpu_utils, "_libcuda", lambda codes=codes: _FakeCuda(*codes))
        assert gpu_utils.get_gpu_props() == (0, "")


def test_gpu_query_on_this_machine_never_raises():
    n, flags = gpu_utils.get_gpu_props()
    assert isinstance(n, int) and n >= 0 and isinstance(flags, str)
    assert (n == 0) == (flags == "")


# ----------------------------------------------------------------------- config


def test_config():
    assert config.gpu_available is False and pykeops.show_cuda_status is False
    assert config.numpy_found is True and isinstance(config.torch_found, bool)
    assert config.get_config() is config.config is config.pykeops_base
    assert config.get_cuda_config() is config.cuda_config is config.pykeops_cuda
    assert config.get_openmp_config() is config.openmp_config is config.pykeops_openmp
    assert config.get_platform_config() is config.platform_detector
    assert config.cuda_config.get_use_cuda() is False
    assert config.cuda_config.n_gpus == gpu_utils.get_gpu_number()
    assert config.openmp_config.get_use_OpenMP() is False
    assert config.config.get_build_folder() == pykeops.get_build_folder() == pykeops.keops_get_build_folder()
    assert config.pykeops_cpp_name("abc", ".so").endswith("pykeops_cpp_abc.so")
    assert config.pykeops_nvrtc_name().endswith("pykeops_nvrtc.cpp")
    assert config.pykeops_nvrtc_name("target").startswith(pykeops.get_build_folder())
    assert "pybind11 --includes" in config.python_includes
    assert isinstance(config.platform_detector.get_python_version(), str)


def test_config_print_all(capsys):
    for obj in (config.config, config.cuda_config, config.openmp_config, config.platform_detector):
        obj.print_all()
    out = capsys.readouterr().out
    assert "Use CUDA: False" in out and "Use OpenMP: False" in out


def test_check_health(capsys):
    pykeops.set_verbose(True)
    assert pykeops.check_health() is True
    out = capsys.readouterr().out
    assert "pyKeOps with numpy bindings is working!" in out and out.rstrip().endswith("health check: OK")
