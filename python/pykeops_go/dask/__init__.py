"""Reductions over dask arrays, on a dask (or dask.distributed) cluster.

``Genred``, ``LazyTensor`` (with ``Vi``, ``Vj``, ``Pm``) and ``KernelSolve``
as in :mod:`pykeops_go.numpy`, whose inputs may be dask arrays chunked along
i and/or j (NumPy arrays are accepted and chunked) and whose reductions
return dask arrays. Each (i-chunk, j-chunk) pair is a task computing the
mergeable state of a partial reduction; states merge in a tree into the
single-process result. See docs/dask.md.

Workers import the Go extension: start them as processes spawned afresh
(the nanny of ``dask.distributed`` does), never by forking a process that
has already loaded it.
"""

from pykeops_go.dask.genred import Genred
from pykeops_go.dask.lazytensor import LazyTensor, Pm, Var, Vi, Vj
from pykeops_go.dask.operations import KernelSolve

__all__ = ["Genred", "LazyTensor", "KernelSolve", "Var", "Vi", "Vj", "Pm"]
