"""Genred over dask arrays: a graph of partial reductions merged in a tree.

For a reduction over j (axis=1) of data chunked in blocks of rows along i
and j, task ``(partial, bi, bj)`` runs the engine on the rows of i-chunk bi
and j-chunk bj only and returns, per output row, the mergeable state of the
reduction (see pkg/core/partial.go); the states of each i-chunk merge in a
tree, ``split_every`` consecutive j-chunks at a time and always in j order
(ties keep the first index), and the root is finished into the output
block. axis=0 swaps the roles of i and j.
"""

from __future__ import annotations

import itertools
import operator
from typing import Any, Sequence

import numpy as np

from pykeops_go.common import engine
from pykeops_go.common.arguments import CAT_NAMES, prepare, prepare_ranges
from pykeops_go.common.genred import check_backend, check_index_rows
from pykeops_go.numpy.generic.generic_red import Genred as NumpyGenred

_names = itertools.count()

# Rows per block given to NumPy inputs of a category no dask input fixes.
DEFAULT_ROWS = 1 << 16


def _dask():
    import dask.array as da
    return da


class Genred:
    """``Genred`` whose call takes dask arrays (or NumPy arrays) and returns a dask array.

    Parameters
    ----------
    formula, aliases, reduction_op, axis, opt_arg, formula2, dtype_acc,
    use_double_acc, sum_scheme :
        As for :class:`pykeops_go.numpy.Genred`.
    split_every : int
        How many partial states of consecutive chunks of the reduced axis
        each merge task combines (the arity of the merge tree, >= 2).
    **kwargs :
        The other options of :class:`pykeops_go.numpy.Genred` (accepted and
        ignored on the CPU, as there).
    """

    def __init__(self, formula: str, aliases: Sequence[str], reduction_op: str = "Sum", axis: int = 0,
                 opt_arg: int | None = None, formula2: str | None = None, dtype_acc: str = "auto",
                 use_double_acc: bool = False, sum_scheme: str = "auto", split_every: int = 4, **kwargs):
        self._np = NumpyGenred(formula, aliases, reduction_op=reduction_op, axis=axis, opt_arg=opt_arg,
                               formula2=formula2, dtype_acc=dtype_acc, use_double_acc=use_double_acc,
                               sum_scheme=sum_scheme, **kwargs)
        if isinstance(split_every, bool) or not isinstance(split_every, (int, np.integer)) or split_every < 2:
            raise ValueError(f"Genred: split_every must be an int >= 2, got {split_every!r}")
        self.split_every = int(split_every)
        g = self._np
        # Everything a worker needs to compile the same kernel (picklable).
        self.spec = (g.formula, tuple(g.aliases), g.reduction_op, g.axis, g.opt_arg, g.formula2,
                     g.dtype_acc, g.sum_scheme)
        self.axis = g.axis
        self.reduction_op = g.reduction_op
        self.aliases = g.aliases
        self.nargs = g.nargs

    def __call__(self, *args: Any, ranges: Sequence[np.ndarray] | None = None, backend: str = "auto",
                 device_id: int = -1, chunks: int | None = None) -> Any:
        """Build the reduction of dask (or NumPy) arrays, one per alias, laid out as for Genred.

        Parameters
        ----------
        *args : dask.array.Array or numpy.ndarray
            ``Vi`` data ``(batch..., M, D)``, ``Vj`` data ``(batch..., N, D)``,
            ``Pm`` data ``(batch..., D)`` (or ``(D,)``). The ``M`` and ``N`` axes
            may be chunked; every ``Vi`` argument is rechunked like the first
            dask ``Vi`` argument (likewise for ``Vj``), the other axes are
            gathered into one chunk, and NumPy arrays are cut into blocks of
            ``chunks`` rows. The chunks of the reduced axis are moved to
            multiples of 256 rows (the engine's tile), so that every term is
            computed as in a single pass.
        ranges : tuple of 6 integer arrays, optional
            Block-sparse reduction, as for Genred (without batch dimensions).
        backend, device_id :
            As for Genred (CPU only).
        chunks : int, optional
            Rows per block for NumPy inputs of a category without dask input
            (default 65536).

        Returns
        -------
        dask.array.Array or tuple of dask.array.Array
            The result of Genred (same shape, dtype and layout), chunked like
            the output axis of the inputs; ``(values, indices)`` for
            Min_ArgMin, Max_ArgMax and KMin_ArgKMin.
        """
        da = _dask()
        if check_backend(backend).device == "GPU" and backend != "auto":
            # The blocks run on the workers' CPU engines; "auto" means that here.
            raise ValueError(f"pykeops_go.dask: backend {backend!r} is not supported: the blocks run on "
                             "the workers' CPU engines (use backend='auto' or 'CPU')")
        if len(args) != self.nargs:
            raise ValueError(f"Invalid number of arguments in call to Genred (should be {self.nargs} "
                             f"and got {len(args)}).")
        if chunks is not None and (isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer))
                                   or chunks < 1):
            raise ValueError(f"Genred: chunks must be a positive int (rows per block), got {chunks!r}")
        kernel = self._np.kernel
        arrays, dtype = _as_dask_arrays(args, kernel)
        meta = _check_shapes(kernel, arrays)
        rows_of = {0: meta.M, 1: meta.N}
        batch = meta.batch
        out_cat, red_cat = 1 - self.axis, self.axis
        check_index_rows(kernel, dtype, rows_of[red_cat])
        r = prepare_ranges(ranges)
        if r is not None and batch:
            # The engine refuses it too, but only once the graph runs.
            raise ValueError("Genred: ranges cannot be combined with batch dimensions")
        # The row chunks of each category: from its first dask argument, else blocks of `chunks` rows.
        cat_chunks = {}
        for cat in (0, 1):
            first = next((a for a, info, given in zip(arrays, kernel.args, args)
                          if info.cat == cat and isinstance(given, da.Array)), None)
            n = rows_of[cat]
            if first is not None:
                cc = first.chunks[-2]
            else:
                step = int(chunks or DEFAULT_ROWS)
                cc = tuple(min(step, n - s) for s in range(0, n, step)) or (0,)
            cat_chunks[cat] = cc
        cat_chunks[red_cat] = _aligned(cat_chunks[red_cat], engine.piece_align())
        has = {info.cat for info in kernel.args}
        for cat in (0, 1):
            if cat not in has:  # no argument of this category: one row, as for Genred
                cat_chunks[cat] = (rows_of[cat],)
        blocks = []
        for a, info in zip(arrays, kernel.args):
            if info.cat == 2:
                a = a.rechunk(a.shape)
            else:
                a = a.rechunk(tuple(a.shape[:-2]) + (cat_chunks[info.cat], a.shape[-1]))
            blocks.append(a)
        return self._graph(kernel, blocks, dtype, batch, meta, cat_chunks, out_cat, red_cat, r)

    def _graph(self, kernel, blocks, dtype, batch, meta, cat_chunks, out_cat, red_cat, ranges):
        da = _dask()
        from dask.highlevelgraph import HighLevelGraph
        nb = len(batch)
        token = f"{next(_names)}-{id(self):x}"
        red_name = self.reduction_op.lower()
        pname, mname, fname = (f"keops-{red_name}-partial-{token}", f"keops-{red_name}-merge-{token}",
                               f"keops-{red_name}-finish-{token}")
        out_chunks, red_chunks = cat_chunks[out_cat], cat_chunks[red_cat]
        out_starts = np.concatenate([[0], np.cumsum(out_chunks)]).astype(int)
        red_starts = np.concatenate([[0], np.cumsum(red_chunks)]).astype(int)
        arg_cats = [info.cat for info in kernel.args]
        layer = {}
        zeros = (0,) * nb
        for bo in range(len(out_chunks)):
            for br in range(len(red_chunks)):
                keys = []
                for a, cat in zip(blocks, arg_cats):
                    if cat == 2:
                        keys.append((a.name,) + (0,) * a.ndim)
                    else:
                        keys.append((a.name, *zeros, bo if cat == out_cat else br, 0))
                rg = None
                if ranges is not None:
                    rg = _clip_ranges(ranges, self.axis, out_starts[bo], out_starts[bo + 1],
                                      red_starts[br], red_starts[br + 1])
                layer[(pname, bo, br)] = (_partial_task, self.spec, dtype.str, meta.arg_batches,
                                          int(red_starts[br]), rg, *keys)
        # The merge tree over the reduced axis, consecutive groups in order.
        level = {bo: [(pname, bo, br) for br in range(len(red_chunks))] for bo in range(len(out_chunks))}
        depth = 0
        while any(len(v) > 1 for v in level.values()):
            for bo, keys in level.items():
                merged = []
                for g in range(0, len(keys), self.split_every):
                    group = keys[g:g + self.split_every]
                    if len(group) == 1:
                        merged.append(group[0])
                        continue
                    key = (mname, depth, bo, g // self.split_every)
                    layer[key] = (_merge_task, self.spec, dtype.str, *group)
                    merged.append(key)
                level[bo] = merged
            depth += 1
        k = kernel
        extra = ((k.k,) if k.dim_f == 1 else (k.k, k.dim_f)) if k.k else None
        outs = []
        if k.vals_dim:
            outs.append(("vals", dtype, extra or (k.vals_dim,)))
        if k.idx_dim:
            outs.append(("idx", np.dtype(np.int64), extra or (k.idx_dim,)))
        for bo in range(len(out_chunks)):
            layer[(fname, bo)] = (_finish_task, self.spec, dtype.str, batch, extra, level[bo][0])
        deps = list(blocks)
        results = []
        for n, (kind, odtype, tail) in enumerate(outs):
            oname = f"keops-{red_name}-{kind}-{token}"
            olayer = dict(layer) if n == 0 else {}
            for bo in range(len(out_chunks)):
                key = (oname, *zeros, bo) + (0,) * len(tail)
                olayer[key] = (operator.getitem, (fname, bo), n)
            if n == 0:
                graph = HighLevelGraph.from_collections(oname, olayer, dependencies=deps)
                first = da.Array(graph, oname, tuple((b,) for b in batch) + (out_chunks,) + tuple((t,) for t in tail),
                                 dtype=odtype)
                results.append(first)
            else:
                graph = HighLevelGraph.from_collections(oname, olayer, dependencies=[results[0]])
                results.append(da.Array(graph, oname, tuple((b,) for b in batch) + (out_chunks,)
                                        + tuple((t,) for t in tail), dtype=odtype))
        if len(results) == 1:
            return results[0]
        # The indices depend on the finish tasks, which live in the values' graph.
        return results[0], results[1]


def _as_dask_arrays(args, kernel):
    """The arguments as dask arrays of one float dtype (NumPy arrays and numbers wrapped)."""
    da = _dask()
    out = []
    for k, a in enumerate(args):
        if not isinstance(a, da.Array):
            if isinstance(a, (float, int, np.floating, np.integer, list, tuple)) and not isinstance(a, bool):
                ref = next((b.dtype for b in args if hasattr(b, "dtype")), np.dtype(np.float64))
                a = np.asarray(a, dtype=ref)
            if not isinstance(a, np.ndarray):
                raise TypeError(f"Genred: argument {k} must be a dask or NumPy array, got {type(a).__name__}")
            if kernel.args[k].cat == 2 and a.ndim <= 1:
                a = a.reshape(-1)
            a = da.from_array(a, chunks=a.shape or ())
        out.append(a)
    dtype = out[0].dtype if out else np.dtype(np.float64)
    for k, a in enumerate(out):
        if a.dtype not in (np.float32, np.float64):
            raise ValueError(f"Genred: argument {k} has dtype {a.dtype}; expected float32 or float64")
        if a.dtype != dtype:
            raise ValueError(f"Genred: argument {k} has dtype {a.dtype} but argument 0 has {dtype}: "
                             "all arguments must have the same dtype")
    return out, np.dtype(dtype)


class _Meta:
    __slots__ = ("M", "N", "batch", "arg_batches")


def _check_shapes(kernel, arrays) -> _Meta:
    """Check the shapes as Genred does (on empty stand-ins: nothing is computed)."""
    stand_ins = []
    rows = {}
    for k, (a, info) in enumerate(zip(arrays, kernel.args)):
        if any(np.isnan(s) for s in a.shape):
            raise ValueError(f"Genred: argument {k} has unknown chunk sizes; call compute_chunk_sizes() first")
        shape = tuple(a.shape)
        if info.cat in (0, 1) and len(shape) >= 2:
            n = shape[-2]
            first, k0 = rows.setdefault(info.cat, (n, k))
            if n != first:
                cat = CAT_NAMES[info.cat]
                raise ValueError(f"Genred: argument {k} ({cat}) has {n} rows but argument {k0} has {first}: "
                                 f"all {cat} arguments must share {'MN'[info.cat]}")
            shape = shape[:-2] + (min(n, 1), shape[-1])
        stand_ins.append(np.zeros(shape, dtype=a.dtype))
    p = prepare(kernel, stand_ins)
    meta = _Meta()
    meta.M = rows[0][0] if 0 in rows else 1
    meta.N = rows[1][0] if 1 in rows else 1
    meta.batch = tuple(p.batch)
    meta.arg_batches = [tuple(b) for b in p.arg_batches]
    return meta


def _aligned(chunks: tuple, align: int) -> tuple:
    """Chunks whose boundaries are moved to the nearest multiple of align (empty ones dropped)."""
    n = int(sum(chunks))
    bounds = [0]
    for b in np.cumsum(chunks)[:-1]:
        b = int(round(b / align)) * align
        if bounds[-1] < b < n:
            bounds.append(b)
    bounds.append(n)
    out = tuple(int(hi - lo) for lo, hi in zip(bounds, bounds[1:]))
    return out or (0,)


def _clip_ranges(ranges, axis, o0, o1, r0, r1):
    """The block-sparse ranges seen by the block of output rows [o0, o1) and reduced rows [r0, r1),
    in the block's own numbering. Every row block is kept (possibly empty), so that a row shared
    by several blocks still takes the result of the last one."""
    ri, si, rj, rjj, sj, rii = ranges
    i0, i1, j0, j1 = (o0, o1, r0, r1) if axis == 1 else (r0, r1, o0, o1)

    def clip(r, lo, hi):
        c = np.clip(r, lo, hi) - lo
        empty = c[:, 1] <= c[:, 0]
        c[empty] = 0
        return np.ascontiguousarray(c, dtype=np.int64)

    return [clip(ri, i0, i1), si, clip(rj, j0, j1), clip(rjj, j0, j1), sj, clip(rii, i0, i1)]


# ---------------------------------------------------------------- worker tasks
def _buffer(a, dtype=None):
    """A C-contiguous, aligned array: blocks unpickled from out-of-band buffers may be misaligned."""
    return np.require(np.asarray(a, dtype=dtype), requirements=("C", "A"))


def _kernel(spec):
    formula, aliases, reduction, axis, opt_arg, formula2, dtype_acc, sum_scheme = spec
    return engine.compile(formula, list(aliases), reduction, axis, opt_arg, formula2, dtype_acc, sum_scheme)


def _partial_task(spec, dtype, arg_batches, offset, ranges, *blocks):
    """The states of one (output chunk, reduced chunk) pair: (batch..., rows, state_len) float64."""
    k = _kernel(spec)
    dtype = np.dtype(dtype)
    p = prepare(k, [_buffer(b) for b in blocks])
    rows = p.M if k.axis == 1 else p.N
    state = np.empty((*p.batch, rows, engine.state_len(k)), dtype=np.float64)
    if ranges is not None:
        ranges = [_buffer(r, np.int64) for r in ranges]
    plan = k.plan(p.dtype, p.M, p.N, p.batch, p.arg_batches, 0, 0, ranges)
    plan.run_partial(p.arrays, state, offset)
    return state


def _merge_task(spec, dtype, first, *rest):
    """The states of consecutive pieces of the reduced axis, merged in order."""
    k = _kernel(spec)
    acc = np.array(first, dtype=np.float64, order="C")
    for part in rest:
        engine.merge_states(k, np.dtype(dtype), acc, _buffer(part, np.float64))
    return acc


def _finish_task(spec, dtype, batch, extra, state):
    """The output block(s) of merged states, shaped as Genred returns them."""
    k = _kernel(spec)
    dtype = np.dtype(dtype)
    state = _buffer(state, np.float64)
    shape = state.shape[:-1]
    vals = np.empty((*shape, k.vals_dim), dtype=dtype) if k.vals_dim else None
    idx = np.empty((*shape, k.idx_dim), dtype=np.int64) if k.idx_dim else None
    engine.finish_states(k, dtype, state, vals, idx)
    out = []
    for a in (vals, idx):
        if a is not None:
            out.append(a.reshape(shape + extra) if extra else a)
    return tuple(out)
