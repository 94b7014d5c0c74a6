"""KernelSolve for torch tensors: ``(alpha Id + K) a = b`` by conjugate gradient, differentiable.

The solve runs with gradients off; its backward is another solve, as in
pykeops: for ``a = (alpha Id + K)^-1 b`` and an incoming gradient ``g``,
``e = (alpha Id + K)^-1 g`` gives ``db = e`` and, for every other variable
``v``, ``dv = -d/dv <e, K(v) a>``, i.e. the gradient of the torch Genred of K
evaluated at ``a`` with incoming gradient ``-e``. Since K is symmetric, the
same operator solves both systems.
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


class KernelSolve(_common.KernelSolve):
    """``pykeops.torch.KernelSolve``: same constructor as the NumPy one (see there)."""

    Genred = Genred

    def __call__(self, *args: torch.Tensor, backend: str = "auto", device_id: int = -1,
                 alpha: float = 1e-10, eps: float = 1e-6, ranges: Sequence[torch.Tensor] | None = None,
                 x0: torch.Tensor | None = None, maxiter: int | None = None) -> torch.Tensor:
        """Solve ``(alpha Id + K) a = b`` where ``b = args[varinvpos]``; differentiable in every
        tensor argument (and in b). Arguments as for the NumPy KernelSolve."""
        if len(args) != len(self.aliases):
            raise ValueError(f"Invalid number of arguments in call to KernelSolve (should be "
                             f"{len(self.aliases)} and got {len(args)}).")
        b = args[self.varinvpos]
        if not isinstance(b, torch.Tensor):
            raise TypeError(f"KernelSolve: argument {self.varinvpos} (the right-hand side b) must be "
                            f"a torch.Tensor, got {type(b).__name__}")
        opts = dict(backend=backend, device_id=device_id, alpha=alpha, eps=eps, ranges=ranges,
                    x0=x0, maxiter=maxiter)
        if torch.is_grad_enabled() and any(isinstance(a, torch.Tensor) and a.requires_grad for a in args):
            return KernelSolveAutograd.apply(self, opts, *args)
        return self._solve(args, opts)

    def _solve(self, args: Sequence[torch.Tensor], opts: dict) -> torch.Tensor:
        pos = self.varinvpos
        args = [a.detach() if isinstance(a, torch.Tensor) else a for a in args]
        alpha = opts["alpha"]

        def linop(v):
            res = self.genred(*args[:pos], v, *args[pos + 1:], backend=opts["backend"],
                              device_id=opts["device_id"], ranges=opts["ranges"])
            check_square(res, v)
            if alpha:
                res = res + alpha * v
            return res

        with torch.no_grad():
            return conjugate_gradient(linop, args[pos], eps=opts["eps"], x0=opts["x0"],
                                      maxiter=opts["maxiter"])


class KernelSolveAutograd(torch.autograd.Function):
    """A KernelSolve call in torch.autograd; backward solves the adjoint system."""

    @staticmethod
    def forward(solver: KernelSolve, opts: dict, *args: torch.Tensor) -> torch.Tensor:
        return solver._solve(args, opts)

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
        # e = (alpha Id + K)^-1 g: the gradient with respect to b (K is symmetric).
        e_args = [t if create else t.detach() for t in args]
        e_args[pos] = g.contiguous()
        e = solver(*e_args, **{**opts, "x0": None})
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
