"""Genred for torch tensors, differentiable through torch.autograd.

The forward pass is the NumPy Genred run on views of the tensors (see
``pykeops_go/torch/arrays.py``). The derivative of a reduction is itself a
reduction, built here as a formula and run by the engine, as pykeops does:
for ``out_i = sum_j F(x_i, y_j, p)`` and an incoming gradient ``g_i``, the
gradient with respect to a variable ``v`` is ``sum Grad(F, v, g)`` reduced over
the other index (over j, then summed over i, for a parameter). Those gradient
reductions are again instances of this Genred, so gradients of gradients
(double backward, Hessians) come out the same way.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from pykeops_go.common import gpu, gpu_backend
from pykeops_go.common.arguments import axis2cat, get_type  # noqa: F401
from pykeops_go.common.get_options import get_tag_backend  # noqa: F401
from pykeops_go.common.operations import postprocess, preprocess  # noqa: F401
from pykeops_go.common.parse_type import complete_aliases, get_optional_flags, get_sizes  # noqa: F401
from pykeops_go.numpy.generic import generic_red as _np
from pykeops_go.utils import default_device_id, pyKeOps_Warning  # noqa: F401
from pykeops_go.torch import arrays

# Reductions whose gradient is a reduction (formula builders below).
DIFFERENTIABLE = ("Sum", "LogSumExp", "SumSoftMaxWeight", "SoftMax")
# Index-valued reductions: their integer results carry no gradient.
NO_GRADIENT = ("ArgMin", "ArgMax", "ArgKMin")


def _not_supported(reduction_op: str) -> NotImplementedError:
    return NotImplementedError(
        f"As of today, KeOps does not support autodiff through the {reduction_op} reduction. "
        "Adding this feature to LazyTensors is on the cards for future releases... But until "
        "then, you may want to consider extracting the relevant integer indices with a "
        "'.argmin()', '.argmax()' or '.argKmin()' reduction before using PyTorch advanced "
        "indexing to create a fully-differentiable tensor containing the relevant 'minimal' "
        "values."
    )


class Genred(_np.Genred):
    """A generic reduction on torch tensors (``pykeops.torch.Genred``).

    The constructor is that of :class:`pykeops_go.numpy.Genred` (same
    arguments, defaults and checks). Calls take CPU tensors and return
    tensors; they are differentiable (once or more) for Sum, LogSumExp (with
    or without weights) and SumSoftMaxWeight with respect to every Vi, Vj
    and Pm argument. Min / Max / KMin and their Arg_ pairs raise
    NotImplementedError when differentiated; ArgMin / ArgMax / ArgKMin give
    int64 indices that carry no gradient.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._grads = {}  # (argument index, needs the lse) -> gradient Genred
        self._lse = None
        self._tfast = {}  # tensor shapes key -> _FastCall (see _Call.forward)

    def __call__(self, *args: torch.Tensor, backend: str = "auto", device_id: int = -1,
                 ranges: Sequence[torch.Tensor] | None = None,
                 out: torch.Tensor | None = None) -> Any:
        """Run the reduction on tensors, one per alias, in index order.

        Parameters
        ----------
        *args : torch.Tensor
            Tensors (all CPU, or all CUDA tensors of one GPU) laid out as for
            the NumPy Genred: ``(M, D)`` for Vi, ``(N, D)`` for Vj, ``(D,)``
            for Pm, batch dimensions in front. float16, float32 or float64
            (all the same).
        backend, device_id :
            As in pykeops: ``"auto"`` runs on the GPU when one is usable (CUDA
            tensors in place, results on their device), ``"CPU"``, ``"GPU"``,
            ``"GPU_1D"``, ``"GPU_2D"`` and their ``_host`` / ``_device`` forms.
        ranges : tuple of 6 integer tensors, optional
            Block-sparse reduction (see :func:`pykeops.torch.cluster.from_matrix`).
        out : torch.Tensor, optional
            Contiguous tensor on the arguments' device receiving the result, written in place.

        Returns
        -------
        torch.Tensor or tuple of torch.Tensor
            As the NumPy Genred: ``(rows, D)`` (batch shape in front), int64 for
            Arg reductions, ``(values, indices)`` for Min_ArgMin and the like.
        """
        key = fast = None
        # (With a usable GPU, "auto" runs there: no CPU shortcut.)
        if ranges is None and out is None and (backend == "CPU" or backend == "auto" and not gpu.gpu_available()):
            try:  # what the checks depend on: CPU, contiguous, shapes and dtypes
                key = tuple([(a.shape, a.dtype, a.is_cpu and a.is_contiguous()) for a in args])
            except AttributeError:  # not all tensors: the full path says what is wrong
                key = None
            else:
                fast = self._tfast.get(key)
        if fast is None and len(args) != self.nargs:
            raise ValueError(f"Invalid number of arguments in call to Genred (should be {self.nargs} "
                             f"and got {len(args)}).")
        # Index reductions carry no gradient; under torch.func they still need the vmap rule.
        grad = _traced(args) if self.reduction_op not in NO_GRADIENT else _wrapped(args)
        if fast is not None and not grad:
            return fast(args)
        call = _Call(self, backend, device_id, ranges, out, key, fast)
        if grad:
            return GenredAutograd.apply(call, *args)
        return call.forward(args)

    # ----------------------------------------------------------- gradients
    def _output_info(self) -> tuple[int, int]:
        """(dim, category) of the output: the incoming gradient is a variable like it."""
        k = self.kernel
        return k.vals_dim if k.vals_dim else k.idx_dim, 0 if self.axis == 1 else 1

    def _gradient(self, index: int) -> tuple["Genred", bool]:
        """The Genred of the gradient with respect to argument ``index``, and whether it reads
        the log-sum-exp of the formula (SumSoftMaxWeight)."""
        cached = self._grads.get(index)
        if cached is not None:
            return cached
        op = self.reduction_op
        if op not in DIFFERENTIABLE:
            raise _not_supported(op)
        n = self.nargs
        dim_out, cat_out = self._output_info()
        _, cat, dim, pos = get_type(self.aliases[index], position_in_list=index)
        v = f"Var({pos},{dim},{cat})"
        g = f"Var({n},{dim_out},{cat_out})"       # the incoming gradient
        res = f"Var({n + 1},{dim_out},{cat_out})"  # the forward result
        F, W = self.formula, self.formula2
        extra = [g]
        if op == "Sum":
            formula = f"Grad({F},{v},{g})"
        elif op == "LogSumExp" and W is None:
            # d log sum_j e^F = sum_j e^(F - out) dF
            formula = f"Grad({F},{v},Exp({F}-{res})*{g})"
            extra.append(res)
        elif op == "LogSumExp":
            # out_c = log sum_j e^F W_c: d out_c = sum_j e^(F - out_c) (W_c dF + dW_c)
            e = f"Exp({F}-{res})"
            formula = f"Grad({F},{v},Sum({e}*({W})*{g}))+Grad({W},{v},{e}*{g})"
            extra.append(res)
        else:  # SumSoftMaxWeight: out = sum_j s_j W_j, s = softmax_j(F)
            lse = f"Var({n + 2},1,{cat_out})"
            s = f"Exp({F}-{lse})"
            formula = f"Grad({W},{v},{s}*{g})+Grad({F},{v},{s}*Sum((({W})-{res})*{g}))"
            extra += [res, lse]
        axis = 0 if cat == 1 else 1  # the output is indexed like v (by i for a parameter)
        gen = Genred(formula, list(self.aliases) + extra, reduction_op="Sum", axis=axis,
                     dtype_acc=self.dtype_acc, sum_scheme=self.sum_scheme)
        self._grads[index] = (gen, len(extra) == 3)
        return self._grads[index]

    def _differential(self, index: int) -> tuple["Genred", bool]:
        """The Genred of the forward-mode derivative (jvp) along argument ``index``, and whether
        it reads the log-sum-exp: ``d out = R(dF)`` linear in the tangent ``u``."""
        key = ("diff", index)
        cached = self._grads.get(key)
        if cached is not None:
            return cached
        op = self.reduction_op
        if op not in DIFFERENTIABLE:
            raise _not_supported(op)
        n = self.nargs
        dim_out, cat_out = self._output_info()
        _, cat, dim, pos = get_type(self.aliases[index], position_in_list=index)
        v = f"Var({pos},{dim},{cat})"
        u = f"Var({n},{dim},{cat})"                # the tangent, shaped like the argument
        res = f"Var({n + 1},{dim_out},{cat_out})"  # the forward result
        F, W = self.formula, self.formula2
        extra = [u]
        if op == "Sum":
            formula = f"Diff({F},{v},{u})"
        elif op == "LogSumExp" and W is None:
            formula = f"Exp({F}-{res})*Diff({F},{v},{u})"
            extra.append(res)
        elif op == "LogSumExp":
            formula = f"Exp({F}-{res})*(({W})*Diff({F},{v},{u})+Diff({W},{v},{u}))"
            extra.append(res)
        else:  # SumSoftMaxWeight
            lse = f"Var({n + 2},1,{cat_out})"
            formula = f"Exp({F}-{lse})*(Diff({W},{v},{u})+(({W})-{res})*Diff({F},{v},{u}))"
            extra += [res, lse]
        gen = Genred(formula, list(self.aliases) + extra, reduction_op="Sum", axis=self.axis,
                     dtype_acc=self.dtype_acc, sum_scheme=self.sum_scheme)
        self._grads[key] = (gen, len(extra) == 3)
        return self._grads[key]

    def _log_sum_exp(self) -> "Genred":
        """The LogSumExp of the formula, the normaliser of SumSoftMaxWeight's softmax."""
        if self._lse is None:
            self._lse = Genred(self.formula, list(self.aliases), reduction_op="LogSumExp",
                               axis=self.axis, dtype_acc=self.dtype_acc, sum_scheme=self.sum_scheme)
        return self._lse


class _Call:
    """What one call passes to the autograd Function besides the tensors."""

    __slots__ = ("genred", "backend", "device_id", "ranges", "out", "key", "fast")

    def __init__(self, genred, backend, device_id, ranges, out, key=None, fast=None):
        self.genred, self.backend, self.device_id = genred, backend, device_id
        self.ranges, self.out, self.key, self.fast = ranges, out, key, fast

    def forward(self, args: Sequence[torch.Tensor]) -> Any:
        """Run the NumPy Genred on views of the tensors; results are tensors on the same memory.

        A call whose tensors are CPU, contiguous and float32 / float64 leaves a _FastCall
        for later calls of the same shapes: they skip the checks and the NumPy views.
        """
        if self.fast is not None:
            return self.fast(args)
        if gpu_backend.on_device(args):  # torch CUDA tensors: in place on their GPU
            return gpu_backend.torch_forward(self.genred, args, self.backend, self.device_id,
                                             self.ranges, self.out)
        arrays_ = [arrays.to_numpy(a, f"Genred: argument {k}") for k, a in enumerate(args)]
        out = self.out
        if out is not None:
            if not isinstance(out, torch.Tensor):
                raise TypeError(f"Genred: out must be a torch.Tensor, got {type(out).__name__}")
            arrays.check_device(out, "Genred: out")
            if not out.is_contiguous():
                raise ValueError("Genred: out must be a contiguous tensor")
            _np.Genred.__call__(self.genred, *arrays_, backend=self.backend, device_id=self.device_id,
                                ranges=arrays.ranges_to_numpy(self.ranges), out=out.detach().numpy())
            return out
        genred = self.genred
        res = _np.Genred.__call__(genred, *arrays_, backend=self.backend,
                                  device_id=self.device_id, ranges=arrays.ranges_to_numpy(self.ranges))
        if self.key is not None and all(k[2] for k in self.key):
            plan = genred._fast.get(_np._shapes_key(arrays_))  # left by the NumPy Genred
            if plan is not None and all(a.size for a in arrays_):
                if len(genred._tfast) >= _np._FAST_MAX:
                    genred._tfast.clear()
                genred._tfast[self.key] = _FastCall(plan, [a.size for a in arrays_])
        return arrays.from_numpy(res)


_TORCH_DTYPES = {"float32": torch.float32, "float64": torch.float64}


class _FastCall:
    """A call of already-validated tensor shapes: allocate the outputs, pass the tensors'
    data_ptr() to the engine and run."""

    __slots__ = ("plan", "sizes", "dtype", "vshape", "ishape", "final")

    def __init__(self, fast: Any, sizes: list):
        self.plan, self.sizes, self.final = fast.plan, sizes, fast.final
        self.dtype = _TORCH_DTYPES[fast.dtype.name]
        self.vshape, self.ishape = fast.vshape, fast.ishape

    def __call__(self, args):
        vals = None if self.vshape is None else torch.empty(self.vshape, dtype=self.dtype)
        idx = None if self.ishape is None else torch.empty(self.ishape, dtype=torch.int64)
        self.plan.run_addresses([a.data_ptr() for a in args], self.sizes,
                                0 if vals is None else vals.data_ptr(),
                                0 if idx is None else idx.data_ptr())
        return _np._result(vals, idx, self.final)


def _traced(args) -> bool:
    """Whether a call must go through GenredAutograd: a tensor requires grad (and grad mode
    is on), forward-mode AD is active, or a torch.func transform wraps the tensors."""
    if torch.is_grad_enabled() and any(isinstance(a, torch.Tensor) and a.requires_grad for a in args):
        return True
    if _forward_ad._current_level >= 0:
        return True
    return _wrapped(args)


def _wrapped(args) -> bool:
    """Whether a torch.func transform (vmap, grad, jvp...) wraps one of the tensors."""
    return any(isinstance(a, torch.Tensor) and _is_wrapped(a) for a in args)


_forward_ad = torch.autograd.forward_ad
_is_wrapped = torch._C._functorch.is_functorch_wrapped_tensor


class GenredAutograd(torch.autograd.Function):
    """The entry point of a differentiable Genred call into torch.autograd and torch.func.

    backward and jvp build the derivative reductions (Genred._gradient, _differential);
    vmap maps a batched axis onto a Genred batch dimension.
    """

    @staticmethod
    def forward(call: _Call, *args: torch.Tensor) -> Any:
        return call.forward(args)

    @staticmethod
    def setup_context(ctx, inputs, output):
        call, *args = inputs
        ctx.call = call
        if isinstance(output, tuple):
            ctx.save_for_backward(*args)
        else:
            ctx.save_for_backward(*args, output)
            ctx.save_for_forward(*args, output)

    @staticmethod
    def vmap(info, in_dims, call, *args):
        """The mapped axis becomes a leading batch dimension of every argument (size 1, i.e.
        broadcast, for the unmapped ones); the result carries it in front."""
        moved = [(a.unsqueeze(0) if d is None else a.movedim(d, 0)).contiguous()
                 for a, d in zip(args, in_dims[1:])]
        # (torch.func calls this rule only when some argument is mapped.)
        res = call.genred(*moved, backend=call.backend, device_id=call.device_id, ranges=call.ranges)
        return res, (tuple(0 for _ in res) if isinstance(res, tuple) else 0)

    @staticmethod
    def jvp(ctx, call_tangent, *tangents):
        call = ctx.call
        genred = call.genred
        if genred.reduction_op not in DIFFERENTIABLE:
            raise _not_supported(genred.reduction_op)
        saved = ctx.saved_tensors
        args, result = saved[:-1], saved[-1]
        total, lse = None, None
        for k, u in enumerate(tangents):
            if u is None:
                continue
            gen, needs_lse = genred._differential(k)
            extra = [u.contiguous(), result] if gen.nargs > genred.nargs + 1 else [u.contiguous()]
            if needs_lse:
                if lse is None:
                    lse = genred._log_sum_exp()(*args, backend=call.backend, ranges=call.ranges)
                extra.append(lse)
            d = gen(*args, *extra, backend=call.backend, ranges=call.ranges)
            total = d if total is None else total + d
        return torch.zeros_like(result) if total is None else total

    @staticmethod
    def backward(ctx, *grad_outputs):
        call = ctx.call
        genred = call.genred
        if genred.reduction_op not in DIFFERENTIABLE:
            raise _not_supported(genred.reduction_op)
        saved = ctx.saved_tensors
        args, result = saved[:-1], saved[-1]
        g = grad_outputs[0].contiguous()
        lse = None
        grads = []
        for k, a in enumerate(args):
            if not ctx.needs_input_grad[k + 1]:
                grads.append(None)
                continue
            gen, needs_lse = genred._gradient(k)
            extra = [g, result] if gen.nargs > genred.nargs + 1 else [g]
            if needs_lse:
                if lse is None:
                    lse = genred._log_sum_exp()(*args, backend=call.backend, ranges=call.ranges)
                extra.append(lse)
            grad = gen(*args, *extra, backend=call.backend, ranges=call.ranges)
            grads.append(_fit(grad, a, genred.aliases[k], k))
        return (None, *grads)


def _fit(grad: torch.Tensor, arg: torch.Tensor, alias: str, index: int) -> torch.Tensor:
    """The gradient summed over what the argument broadcasts, shaped like the argument.

    A parameter's gradient comes indexed by i: summed over i. Batch axes where the
    argument has size 1 and the call a larger one are summed out (the adjoint of
    broadcasting).
    """
    cat = get_type(alias, position_in_list=index)[1]
    if cat == 2:
        grad = grad.sum(-2)
        lead = arg.shape[:-1]
        gl = grad.shape[:-1]
    else:
        lead, gl = arg.shape[:-2], grad.shape[:-2]
    if len(lead) == len(gl):
        collapse = tuple(t for t, (x, y) in enumerate(zip(lead, gl)) if x < y)
        if collapse:
            grad = grad.sum(collapse, keepdim=True)
    return grad.reshape(arg.shape)


class Genred_parameters:
    """An empty record of call parameters (pykeops fills one per Genred call)."""


# The reductions whose full formula pykeops refuses to differentiate.
_AD_UNSUPPORTED = ("Min_ArgMin_Reduction", "Min_Reduction", "Max_ArgMax_Reduction", "Max_Reduction",
                   "KMin_ArgKMin_Reduction", "KMin_Reduction")


def check_AD_supported(formula: str) -> None:
    """Raise NotImplementedError when the reduction formula ``formula`` (e.g.
    ``"Min_Reduction(X,0)"``) is one that autodiff does not go through."""
    if not isinstance(formula, str):
        raise TypeError(f"check_AD_supported: formula must be a str, got {type(formula).__name__}")
    for red in _AD_UNSUPPORTED:
        if formula.startswith(red):
            raise _not_supported(red)


def set_device(tagCPUGPU: int, tagHostDevice: int, device_id_request: int, *args: torch.Tensor) -> tuple:
    """``(device_id, device)``: the device a call runs on, from the backend tags, the requested
    id (-1: automatic) and the device of the first array; arrays on GPU must share it."""
    if not args or not all(isinstance(a, torch.Tensor) for a in args):
        raise TypeError("set_device: expected at least one torch.Tensor after the three tags")
    device_args = args[0].device
    if tagCPUGPU == 1 and tagHostDevice == 1:
        if any(a.device.index != device_args.index for a in args[1:]):
            raise ValueError("[KeOps] Input arrays must be all located on the same device.")
    if device_id_request == -1:
        if device_args.index is not None:
            return device_args.index, device_args
        return (default_device_id if tagCPUGPU == 1 else -1), device_args
    if device_args.index is not None and device_args.index != device_id_request:
        raise ValueError("[KeOps] Gpu device id of arrays is different from device id requested for computation.")
    return device_id_request, device_args


__all__ = ["Genred", "GenredAutograd", "Genred_parameters", "axis2cat", "check_AD_supported",
           "complete_aliases", "default_device_id", "get_optional_flags", "get_sizes", "get_tag_backend",
           "get_type", "postprocess", "preprocess", "pyKeOps_Warning", "set_device"]
