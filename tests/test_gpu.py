"""GPU discovery and backend selection (pykeops_go.common.gpu) on any machine:
what a machine without a driver reports, the backend names, the errors."""

import os

import pytest

from pykeops_go.common import gpu


def test_probe_of_a_missing_driver_says_why():
    i = gpu.probe("libcuda_does_not_exist.so.1")
    assert i.devices == ()
    assert "libcuda_does_not_exist.so.1" in i.reason


def test_probe_of_a_library_that_is_not_a_driver():
    i = gpu.probe("libc.so.6")
    assert i.devices == ()
    assert "not a CUDA driver" in i.reason


@pytest.mark.parametrize("name, want", [
    ("auto", gpu.Backend("auto")),
    ("CPU", gpu.Backend("CPU")),
    ("GPU", gpu.Backend("GPU", "auto", "auto")),
    ("GPU_1D", gpu.Backend("GPU", "1D", "auto")),
    ("GPU_2D_host", gpu.Backend("GPU", "2D", "host")),
    ("GPU_1D_device", gpu.Backend("GPU", "1D", "device")),
])
def test_parse_backend(name, want):
    assert gpu.parse_backend(name) == want


@pytest.mark.parametrize("name", ["gpu", "GPU_3D", "", None, "GPU_host"])
def test_parse_backend_rejects(name):
    with pytest.raises(ValueError, match="Invalid backend"):
        gpu.parse_backend(name)


@pytest.fixture
def no_gpu(monkeypatch):
    gpu.info.cache_clear()
    monkeypatch.setenv("PYKEOPS_GO_NO_GPU", "1")
    yield
    gpu.info.cache_clear()


def test_without_gpu_everything_runs_on_the_cpu(no_gpu):
    assert not gpu.gpu_available()
    assert gpu.get_gpu_number() == 0
    assert gpu.get_gpu_props() == []
    assert gpu.extension_module() == "pykeops_go._ext"
    assert gpu.resolve_backend("auto") == gpu.Backend("CPU")
    assert gpu.resolve_backend("CPU") == gpu.Backend("CPU")


@pytest.mark.parametrize("name", ["GPU", "GPU_1D", "GPU_2D_host", "GPU_1D_device"])
def test_gpu_backend_without_gpu_is_a_clear_error(no_gpu, name):
    with pytest.raises(ValueError, match=f"backend '{name}' needs a GPU: PYKEOPS_GO_NO_GPU"):
        gpu.resolve_backend(name)


def test_device_arrays_with_cpu_backend(no_gpu):
    with pytest.raises(ValueError, match="GPU memory"):
        gpu.resolve_backend("CPU", on_device=True)
    with pytest.raises(ValueError, match="no usable GPU"):
        gpu.resolve_backend("auto", on_device=True)


def test_gpu_selection_when_a_gpu_is_usable(monkeypatch):
    dev = {"id": 0, "name": "Test GPU", "compute_capability": (9, 0), "total_memory": 1 << 30,
           "multiprocessors": 132}
    monkeypatch.setattr(gpu, "info", lambda: gpu.GpuInfo(13000, (dev,), ""))
    monkeypatch.setattr(gpu, "cuda_extension_installed", lambda: True)
    assert gpu.gpu_available() and gpu.get_gpu_number() == 1
    assert gpu.get_gpu_props()[0]["name"] == "Test GPU"
    assert gpu.extension_module() == gpu.CUDA_EXTENSION
    assert gpu.resolve_backend("auto") == gpu.Backend("GPU", "auto", "host")
    assert gpu.resolve_backend("auto", on_device=True) == gpu.Backend("GPU", "auto", "device")
    assert gpu.resolve_backend("GPU_2D") == gpu.Backend("GPU", "2D", "host")
    with pytest.raises(ValueError, match="expects arguments in GPU memory"):
        gpu.resolve_backend("GPU_1D_device")
    # A GPU without the CUDA variant installed is not usable, and says so.
    monkeypatch.setattr(gpu, "cuda_extension_installed", lambda: False)
    assert not gpu.gpu_available()
    assert "no CUDA-enabled engine" in gpu.gpu_unavailable_reason()


def test_cuda_cache_folder_follows_the_build_folder(tmp_path):
    from pykeops_go import utils

    old = utils.get_build_folder()
    try:
        utils.set_build_folder(str(tmp_path))
        folder = gpu.cuda_cache_folder()
        assert folder == os.path.join(str(tmp_path), "cuda")
        os.makedirs(folder)
        for name in ("a.cubin", "b.ptx", "keep.txt"):
            open(os.path.join(folder, name), "w").close()
        assert gpu.clean_cuda_cache() == 2
        assert os.listdir(folder) == ["keep.txt"]
    finally:
        utils.set_build_folder(old)


def test_nvrtc_search_path_lists_existing_folders():
    dirs = gpu.nvrtc_search_path()
    assert dirs and all(os.path.isdir(d) for d in dirs)
    assert len(dirs) == len(set(dirs))
