"""pykeops.numpy.test_install: the NumPy install check (``pykeops.test_numpy_bindings``)."""

import numpy as np

from pykeops_go.utils import pyKeOps_Message, test_numpy_bindings  # noqa: F401

# The check: sum over i of |x_i - y_j|^2 for x = [[1,2,3],[4,5,6],[7,8,9]], y = [[3,4,5],[6,7,8]].
formula = "SqNorm2(x - y)"
var = ["x = Vi(3)", "y = Vj(3)"]
expected_res = np.array([63.0, 90.0])

__all__ = ["expected_res", "formula", "pyKeOps_Message", "test_numpy_bindings", "var"]
