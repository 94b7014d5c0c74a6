"""The ``pykeops`` shim: an unchanged pykeops 2.3 NumPy script imports and runs."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

SCRIPT = textwrap.dedent(
    '''
    import numpy as np
    import pykeops
    import pykeops.config
    from pykeops.numpy import Genred, KernelSolve, LazyTensor, ComplexLazyTensor, Vi, Vj, Pm
    from pykeops.numpy import generic_sum, generic_logsumexp, generic_argmin, generic_argkmin
    from pykeops.numpy.cluster import grid_cluster, cluster_ranges_centroids, sort_clusters, from_matrix
    from pykeops.numpy.utils import numpytools
    from pykeops.common.utils import axis2cat, cat2axis, pyKeOps_Message
    from pykeops.common.parse_type import get_type, complete_aliases
    from pykeops.common.operations import ConjugateGradientSolver

    pykeops.set_verbose(False)
    pykeops.clean_pykeops()
    print("gpu", pykeops.config.gpu_available)
    pykeops.set_verbose(True)
    pykeops.test_numpy_bindings()

    # Gaussian convolution, as in the pykeops tutorials
    M, N, D, Dv = 300, 500, 3, 2
    x = np.random.randn(M, D)
    y = np.random.randn(N, D)
    b = np.random.randn(N, Dv)
    sigma = np.array([0.4])
    formula = "Exp(-oos2 * SqDist(x,y)) * b"
    variables = ["x = Vi(" + str(D) + ")", "y = Vj(" + str(D) + ")",
                 "b = Vj(" + str(Dv) + ")", "oos2 = Pm(1)"]
    my_routine = Genred(formula, variables, reduction_op="Sum", axis=1)
    c = my_routine(x, y, b, 1.0 / sigma**2, backend="auto")
    ref = np.exp(-((x[:, None] - y[None]) ** 2).sum(-1) / sigma[0] ** 2) @ b
    print("conv", np.abs(c - ref).max() / np.abs(ref).max() < 1e-12)

    # k-nearest neighbours
    knn = generic_argkmin("SqDist(x,y)", "a = Vi(5)", "x = Vi(3)", "y = Vj(3)")
    print("knn", knn(x, y).shape)

    # kernel interpolation
    Kinv = KernelSolve("Exp(-SqDist(x,y)) * a", ["x = Vi(3)", "y = Vj(3)", "a = Vj(2)"], "a", axis=1)
    a = Kinv(x, x, np.random.randn(M, 2), alpha=10.0)
    print("solve", a.shape)
    print("version", isinstance(pykeops.__version__, str), isinstance(pykeops.get_build_folder(), str))
    '''
)


def test_unchanged_pykeops_script_runs(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(SCRIPT)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines == [
        "gpu False",
        "pyKeOps with numpy bindings is working!",
        "conv True",
        "knn (300, 5)",
        "solve (300, 2)",
        "version True True",
    ], out.stdout


def test_top_level_helpers(capsys):
    import pykeops

    assert pykeops.test_numpy_bindings() is True
    assert "pyKeOps with numpy bindings is working!" in capsys.readouterr().out
    old = pykeops.get_build_folder()
    try:
        pykeops.set_build_folder("~/somewhere")
        assert pykeops.get_build_folder().endswith("somewhere")
        pykeops.set_build_folder()
        assert pykeops.get_build_folder() == old
    finally:
        pykeops.set_build_folder(None)
    pykeops.set_verbose(False)
    try:
        assert pykeops.verbose is False
        pykeops.test_numpy_bindings()
        assert capsys.readouterr().out == ""
    finally:
        pykeops.set_verbose(True)
    assert pykeops.config.gpu_available is False
    assert pykeops.default_device_id == 0


def test_numpy_module_tree():
    import pykeops.numpy as pknp
    import pykeops_go.numpy as go

    for name in go.__all__:
        assert getattr(pknp, name) is getattr(go, name)
    from pykeops.numpy.generic.generic_red import Genred
    from pykeops.numpy.operations import KernelSolve

    assert Genred is go.Genred and KernelSolve is go.KernelSolve
    assert pknp.lazytensor.LazyTensor.LazyTensor is go.LazyTensor


def test_cluster_and_utils():
    import pykeops.numpy.cluster as pkc
    from pykeops.numpy.utils import log_sum_exp, numpytools, squared_distances

    x = np.random.default_rng(0).normal(size=(20, 2))
    assert pkc.grid_cluster(x, 0.5).shape == (20,)
    np.testing.assert_allclose(squared_distances(x, x), ((x[:, None] - x[None]) ** 2).sum(-1), atol=1e-12)
    m = x @ x.T
    np.testing.assert_allclose(log_sum_exp(m, axis=1), np.log(np.exp(m).sum(1)), rtol=1e-12)
    tools = numpytools()
    assert tools.long(np.array([1.0])).dtype == np.int64
    assert tools.Genred.__name__ == "Genred" and tools.KernelSolve.__name__ == "KernelSolve"


@pytest.mark.parametrize("n", [1, 2])
def test_num_threads(n):
    import pykeops_go

    prev = pykeops_go.set_num_threads(n)
    try:
        assert pykeops_go.get_num_threads() == n
        from pykeops_go.utils import test_numpy_bindings

        assert test_numpy_bindings()
    finally:
        pykeops_go.set_num_threads(prev)
