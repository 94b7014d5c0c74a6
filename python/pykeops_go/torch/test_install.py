"""pykeops.torch.test_install: the torch install check (``pykeops.test_torch_bindings``)."""

import torch

from pykeops_go.utils import pyKeOps_Message  # noqa: F401

# The check: sum over i of |x_i - y_j|^2 for x = [[1,2,3],[4,5,6],[7,8,9]], y = [[3,4,5],[6,7,8]].
formula = "SqNorm2(x - y)"
var = ["x = Vi(3)", "y = Vj(3)"]
expected_res = [63.0, 90.0]


def test_torch_bindings() -> bool:
    """Run a tiny torch Genred and compare it with torch, as ``pykeops.test_torch_bindings``.

    Prints ``pyKeOps with torch bindings is working!`` (or ``outputs wrong values...``).

    Returns
    -------
    bool
        True when the result matches (pykeops returns None).
    """
    from pykeops_go.torch import Genred

    x = torch.arange(1, 10, dtype=torch.float32).view(-1, 3)
    y = torch.arange(3, 9, dtype=torch.float32).view(-1, 3)
    res = Genred(formula, var)(x, y)
    ok = bool(torch.allclose(res.view(-1), torch.tensor(expected_res)))
    pyKeOps_Message("pyKeOps with torch bindings is working!" if ok else "outputs wrong values...",
                    use_tag=False)
    return ok


__all__ = ["expected_res", "formula", "pyKeOps_Message", "test_torch_bindings", "var"]
