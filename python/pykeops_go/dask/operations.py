"""KernelSolve over dask arrays: conjugate gradient whose products run on the cluster."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from pykeops_go.common.operations import check_square, conjugate_gradient
from pykeops_go.dask.genred import Genred
from pykeops_go.numpy.operations import KernelSolve as NumpyKernelSolve


class KernelSolve(NumpyKernelSolve):
    """``(alpha Id + K) a = b`` by conjugate gradient, each product ``K p`` a dask reduction.

    Parameters are those of :class:`pykeops_go.numpy.KernelSolve`, plus
    ``split_every`` (see :class:`pykeops_go.dask.Genred`). The data are
    persisted once (on the cluster when a ``dask.distributed`` client is
    active); each iteration sends the current direction ``p`` (an ``(M, D)``
    NumPy array) and computes ``K p`` over the chunks. CG needs the residual
    at every step, so a call runs at once and returns the solution as a
    dask array chunked like the output axis of K.
    """

    def __init__(self, formula: str, aliases: Sequence[str], varinvalias: str, axis: int = 0,
                 split_every: int = 4, **kwargs):
        super().__init__(formula, aliases, varinvalias, axis=axis, **kwargs)
        g = self.genred
        self.dask_genred = Genred(g.formula, g.aliases, reduction_op="Sum", axis=axis,
                                  opt_arg=g.opt_arg or None, dtype_acc=g.dtype_acc,
                                  sum_scheme=g.sum_scheme, split_every=split_every)

    def __call__(self, *args: Any, backend: str = "auto", device_id: int = -1, alpha: float = 1e-10,
                 eps: float = 1e-6, ranges: Sequence[np.ndarray] | None = None, x0: np.ndarray | None = None,
                 maxiter: int | None = None, chunks: int | None = None) -> Any:
        """Solve, ``b = args[varinvpos]`` (NumPy or dask); see :meth:`pykeops_go.numpy.KernelSolve.__call__`."""
        import dask
        import dask.array as da
        if len(args) != len(self.aliases):
            raise ValueError(f"Invalid number of arguments in call to KernelSolve (should be "
                             f"{len(self.aliases)} and got {len(args)}).")
        pos = self.varinvpos
        b = args[pos]
        if isinstance(b, da.Array):
            b = b.compute()
        if not isinstance(b, np.ndarray):
            raise TypeError(f"KernelSolve: argument {pos} (the right-hand side b) must be a NumPy or "
                            f"dask array, got {type(b).__name__}")
        others = [a for k, a in enumerate(args) if k != pos]
        others = list(dask.persist(*[a for a in others]))
        fixed = others[:pos], others[pos:]
        out_chunks = []

        def linop(v):
            res = self.dask_genred(*fixed[0], v, *fixed[1], backend=backend, device_id=device_id,
                                   ranges=ranges, chunks=chunks)
            if not out_chunks:
                out_chunks.append(res.chunks[-2])
            res = np.asarray(res.compute())
            check_square(res, v)
            if alpha:
                res += alpha * v
            return res

        a = conjugate_gradient(linop, b, eps=eps, x0=x0, maxiter=maxiter)
        rows = out_chunks[0] if out_chunks and a.ndim >= 2 else "auto"
        return da.from_array(a, chunks=(*a.shape[:-2], rows, a.shape[-1]) if a.ndim >= 2 else a.shape)
