"""KernelSolve for torch tensors: ``(alpha Id + K) a = b`` by conjugate gradient, differentiable.

The solve is ``common/kernel_solve.py``'s, with the torch Genred: CPU tensors
are solved on NumPy views of their memory, with every option of the NumPy
KernelSolve (``precond="nystrom"``, ``rtol``, ``callback``, ``return_info``...),
CUDA tensors by the plain conjugate gradient on the tensors, each product a
Genred on their GPU. What is torch's is differentiation: the solve runs with
gradients off, and its backward is another solve, as in pykeops: for
``a = (alpha Id + K)^-1 b`` and an incoming gradient ``g``,
``e = (alpha Id + K)^-1 g`` gives ``db = e`` and, for every other variable
``v``, ``dv = -d/dv <e, K(v) a>``, i.e. the gradient of the torch Genred of K
evaluated at ``a`` with incoming gradient ``-e``. Since K is symmetric, the
same operator, with the same solver options, solves both systems.
"""

from __future__ import annotations

from typing import Sequence

import torch

from pykeops_go.common import kernel_solve as _common
from pykeops_go.common.arguments import axis2cat, get_type  # noqa: F401
from pykeops_go.common.get_options import get_tag_backend  # noqa: F401
from pykeops_go.common.operations import ConjugateGradientSolver, check_square, conjugate_gradient  # noqa: F401
from pykeops_go.common.parse_type import complete_aliases, get_optional_flags, get_sizes  # noqa: F401
from pykeops_go.torch.generic.generic_red import Genred, Genred_parameters, set_device  # noqa: F401
from pykeops_go.utils import default_device_id, pyKeOps_Warning  # noqa: F401

# Options of the forward solve that the adjoint solve of the backward pass goes without:
# its unknown is not the user's (no initial guess, no callback on its iterates).
_NOT_ADJOINT = ("callback", "x0")


class KernelSolve(_common.KernelSolve):
    """``pykeops.torch.KernelSolve``: the constructor and the call options of the NumPy one
    (see :class:`pykeops_go.common.kernel_solve.KernelSolve`); differentiable in every
    tensor argument (and in b), twice or more."""

    Genred = Genred

    def _call(self, args: Sequence[torch.Tensor], opts: dict) -> torch.Tensor:
        if torch.is_grad_enabled() and any(isinstance(a, torch.Tensor) and a.requires_grad for a in args):
            return KernelSolveAutograd.apply(self, opts, *args)
        return self._detached_solve(args, opts)

    def _detached_solve(self, args: Sequence[torch.Tensor], opts: dict) -> torch.Tensor:
        args = [a.detach() if isinstance(a, torch.Tensor) else a for a in args]
        x0 = opts["x0"]
        with torch.no_grad():
            return self._solve(args, **{**opts, "x0": x0.detach() if isinstance(x0, torch.Tensor) else x0})


class KernelSolveAutograd(torch.autograd.Function):
    """A KernelSolve call in torch.autograd; backward solves the adjoint system."""

    @staticmethod
    def forward(solver: KernelSolve, opts: dict, *args: torch.Tensor) -> torch.Tensor:
        return solver._detached_solve(args, opts)

    @staticmethod
    def setup_context(ctx, inputs, output):
        solver, opts, *args = inputs
        ctx.solver, ctx.opts = solver, opts
        ctx.save_for_backward(*args, output)

    @staticmethod
    def backward(ctx, g):
        solver, opts = ctx.solver, ctx.opts
        saved = ctx.saved_tensors
        args, a = list(saved[:-1]), saved[-1]
        pos = solver.varinvpos
        # With create_graph (double backward, Hessians) every step below stays in the graph:
        # the adjoint solve is itself a KernelSolveAutograd call and the Genred gradient is
        # differentiable. Otherwise the tensors are detached and no graph is recorded.
        create = torch.is_grad_enabled()
        # e = (alpha Id + K)^-1 g: the gradient with respect to b (K is symmetric), by the
        # solver of the forward pass (same tolerance, preconditioner, landmarks).
        e_args = [t if create else t.detach() for t in args]
        e_args[pos] = g.contiguous()
        info = solver.last_info
        e = solver(*e_args, **{k: v for k, v in opts.items() if k not in _NOT_ADJOINT})
        solver.last_info = info  # that of the user's solve
        grads = [None] * len(args)
        others = [k for k in range(len(args)) if k != pos and ctx.needs_input_grad[k + 2]]
        if others:
            # d<a, b>: -e^T dK a, the gradient of the Genred K(v) a with incoming -e. The
            # partial derivative is taken at fresh views of the variables, so that the path
            # from v to a (through this solve) is not counted a second time.
            with torch.enable_grad():
                if create:
                    nodes = [args[k].view_as(args[k]) if k in others else args[k]
                             for k in range(len(args))]
                    nodes[pos] = a
                else:
                    nodes = [args[k].detach().requires_grad_(True) if k in others else args[k].detach()
                             for k in range(len(args))]
                    nodes[pos] = a.detach()
                ka = solver.genred(*nodes, backend=opts["backend"], ranges=opts["ranges"])
                gs = torch.autograd.grad(ka, [nodes[k] for k in others], -e if create else -e.detach(),
                                         allow_unused=True, create_graph=create)
            for k, gk in zip(others, gs):
                grads[k] = gk if gk is not None else torch.zeros_like(args[k])
        if ctx.needs_input_grad[pos + 2]:
            grads[pos] = e
        return (None, None, *grads)


__all__ = ["ConjugateGradientSolver", "Genred_parameters", "KernelSolve", "KernelSolveAutograd", "axis2cat",
           "complete_aliases", "default_device_id", "get_optional_flags", "get_sizes", "get_tag_backend",
           "get_type", "pyKeOps_Warning", "set_device"]
