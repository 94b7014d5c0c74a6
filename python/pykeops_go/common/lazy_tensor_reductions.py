"""LazyTensor reductions, ``K @ v``, ``solve`` and ``__call__`` (mixin of GenericLazyTensor).

A reduction numbers the leaves (see ``GenericLazyTensor._numbered``), builds a
Genred (or KernelSolve) once and keeps it in ``callfun``: calling the reduced
LazyTensor again, or reducing an identical expression, reuses the compiled
kernel (the engine caches kernels by formula string).

Axis convention: with ``nb`` batch dimensions, ``axis=nb`` reduces over i,
``axis=nb+1`` over j, and ``axis=-1`` (or the last axis) is the vector axis,
for which ``sum/min/max/argmin/argmax`` are the symbolic ``Sum``, ``Min``...
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pykeops_go.common.parse_type import complete_aliases


def _reduction(op: str, name: str, vector_default: bool):
    """A reduction method: ``op`` over i or j; with vector_default, axis=-1 is the vector op."""
    if vector_default:
        def method(self, axis: int = -1, dim: int | None = None, **kwargs):
            if dim is not None:
                axis = dim
            if axis in (-1, len(self._shape) - 1):
                if kwargs.get("out") is not None:
                    raise TypeError(f"{name}(axis=-1) is the vector operation {op}(x), a LazyTensor: "
                                    "out= is only for reductions over i or j")
                return self._vector_op(op)
            return self.reduction(op, axis=axis, **kwargs)
        what = (f"The vector operation ``{op}(x)`` for ``axis=-1`` (the default) or the last "
                f"axis, else the ``{op}`` reduction over i (``axis=nbatchdims``) or j "
                "(``axis=nbatchdims+1``).")
    else:
        def method(self, axis: int | None = None, dim: int | None = None, **kwargs):
            return self.reduction(op, axis=axis, dim=dim, **kwargs)
        what = f"The ``{op}`` reduction over i (``axis=nbatchdims``) or j (``axis=nbatchdims+1``)."
    method.__name__ = name
    method.__doc__ = f"""{what}

        Parameters
        ----------
        axis, dim : int
            Reduction axis (``dim`` is PyTorch's name).
        **kwargs
            ``call``, Genred options (``dtype_acc``, ``use_double_acc``,
            ``sum_scheme``, ``enable_chunks``) and call options (``backend``,
            ``device_id``, ``ranges``, ``out``).

        Returns
        -------
        ndarray, tuple of ndarrays or LazyTensor
            The result, or a callable LazyTensor with ``call=False`` or symbolic variables.
        """
    return method


def _kreduction(op: str, name: str):
    """A KMin-family reduction method with its K."""

    def method(self, K: int, axis: int | None = None, dim: int | None = None, **kwargs):
        return self.reduction(op, opt_arg=K, axis=axis, dim=dim, **kwargs)

    method.__name__ = name
    method.__doc__ = f"""The ``{op}`` reduction: the K smallest values / indices over i or j.

        Parameters
        ----------
        K : int
            Number of values kept per output row.
        axis, dim : int
            ``nbatchdims`` (over i) or ``nbatchdims + 1`` (over j).
        **kwargs
            As for :meth:`sum`.
        """
    return method


class ReductionMixin:
    """Reductions of LazyTensors into NumPy arrays."""

    reduction_op: str | None = None
    opt_arg: int | None = None
    kwargs: dict = {}
    callfun = None
    _kwargs_init: dict = {}
    _leaves: list = []
    _vector_rhs = False

    # --------------------------------------------------------------- machinery
    def _vector_op(self, op: str) -> Any:
        return self.unary(op)

    def reduction(self, reduction_op: str, other: Any = None, opt_arg: int | None = None,
                  axis: int | None = None, dim: int | None = None, call: bool = True,
                  is_complex: bool | None = None, **kwargs) -> Any:
        """Reduce over i or j with ``reduction_op`` (a Genred reduction name).

        Parameters
        ----------
        reduction_op : str
            ``"Sum"``, ``"LogSumExp"``, ``"KMin"``...
        other : LazyTensor, optional
            The weight formula (``formula2``) of LogSumExp / SumSoftMaxWeight.
        opt_arg : int, optional
            K of the KMin family.
        axis, dim : int
            ``nbatchdims`` (over i) or ``nbatchdims + 1`` (over j).
        call : bool
            Run now (when possible) rather than return a callable LazyTensor.
        **kwargs
            Genred constructor options and call options, sorted out here.
        """
        self._check_not_reduced()
        if axis is None:
            axis = dim
        nb = self.nbatchdims
        if axis is None:
            raise TypeError(f"the {reduction_op} reduction needs an 'axis' (or 'dim') argument: "
                            f"{nb} to reduce over i, {nb + 1} over j")
        if not isinstance(axis, (int, np.integer)) or axis - nb not in (0, 1):
            raise ValueError("Reductions must be called with 'axis' (or 'dim') equal to the number of "
                             "batch dimensions + 0 or 1.")
        if is_complex is None:
            is_complex = self.is_complex
        if other is None:
            res = self._copy(is_complex)
        else:
            other = self._lift(other)
            res = self._join([other], is_complex)
            res.formula2 = other.formula
        res.formula, res.ndim = self.formula, self.ndim
        res.reduction_op, res.opt_arg, res.axis = reduction_op, opt_arg, int(axis) - nb
        return res._compile_and_call(kwargs, call and not res.symbolic_variables)

    def _compile_and_call(self, kwargs: dict, call: bool) -> Any:
        """Compile this reduced LazyTensor with the Genred options among kwargs (the others
        are kept for its calls), and run it if ``call`` and its dtype is known."""
        init, self.kwargs = self.separate_kwargs(kwargs)
        self._compile(init)
        if call and self._dtype is not None:
            return self()
        return self

    def _compile(self, kwargs_init: dict):
        """Number the leaves and build the Genred / KernelSolve of this reduced LazyTensor."""
        self._kwargs_init = dict(kwargs_init)
        f1, f2, self._leaves = self._numbered()
        # Declare the variables of both formulas (Genred only scans the first).
        aliases = complete_aliases(f1 + "," + (f2 or ""), [])
        # The binding's classes (class attributes Genred and KernelSolve, as in pykeops).
        if self.reduction_op == "Solve":
            var = self._varformula.replace("VarSymb(", "Var(")
            self.callfun = self.KernelSolve(f1, aliases, var, self.axis, **kwargs_init)
        else:
            self.callfun = self.Genred(f1, aliases, reduction_op=self.reduction_op, axis=self.axis,
                                       opt_arg=self.opt_arg, formula2=f2, **kwargs_init)

    def __call__(self, *args: Any, **kwargs) -> Any:
        """Run the reduction (or solve): one array per symbolic variable, in index order.

        Parameters
        ----------
        *args : ndarray
            Arrays of the symbolic variables, laid out as for Genred:
            ``(M, dim)`` for i, ``(N, dim)`` for j, ``(dim,)`` for parameters.
        **kwargs
            Call options (``backend``, ``device_id``, ``ranges``, ``out``,
            and ``alpha``, ``eps`` for solve); they override those given at reduction.
        """
        if self.reduction_op is None:
            raise ValueError("A LazyTensor object may be called only if it corresponds to the output "
                             "of a reduction operation or solve operation.")
        kw = {**self.kwargs, **kwargs}
        if self.ranges is not None:
            kw.setdefault("ranges", self.ranges)
        if self.backend is not None:
            kw.setdefault("backend", self.backend)
        args = self._call_args(args)
        dtype = self._dtype
        if self.reduction_op == "Solve" and not self.other.symbolic_variables:
            if args:
                raise ValueError("this solve has no symbolic variable: call it without arguments")
            args = tuple(self._data_arrays([(t, self.other.axis) for t in self.other._vars], dtype))
        if dtype is None:
            if not args:
                raise ValueError("this LazyTensor holds no array: its dtype is unknown until it is "
                                 "called with arrays for its symbolic variables")
            dtype = self._array_dtype(self._as_array(args[0]))
        user_out = kw.get("out")
        if user_out is not None:
            kw["out"] = self._out_arg(user_out)
        out = self.callfun(*args, *self._data_arrays(self._leaves, dtype), **kw)
        if user_out is not None:
            return user_out  # written in place (Genred checked it)
        if self._vector_rhs:
            out = out.reshape(-1)
        return self._finish(out)

    def _call_args(self, args: tuple) -> tuple:
        return args

    def _out_arg(self, out: Any) -> Any:
        """The ``out=`` array handed to Genred."""
        return out

    def _finish(self, out: Any) -> Any:
        return out

    # ------------------------------------------------------------- reductions
    sum = _reduction("Sum", "sum", True)
    sum_reduction = _reduction("Sum", "sum_reduction", False)
    min = _reduction("Min", "min", True)
    min_reduction = _reduction("Min", "min_reduction", False)
    max = _reduction("Max", "max", True)
    max_reduction = _reduction("Max", "max_reduction", False)
    argmin = _reduction("ArgMin", "argmin", True)
    argmin_reduction = _reduction("ArgMin", "argmin_reduction", False)
    argmax = _reduction("ArgMax", "argmax", True)
    argmax_reduction = _reduction("ArgMax", "argmax_reduction", False)
    min_argmin = _reduction("Min_ArgMin", "min_argmin", False)
    min_argmin_reduction = _reduction("Min_ArgMin", "min_argmin_reduction", False)
    max_argmax = _reduction("Max_ArgMax", "max_argmax", False)
    max_argmax_reduction = _reduction("Max_ArgMax", "max_argmax_reduction", False)
    Kmin = _kreduction("KMin", "Kmin")
    Kmin_reduction = _kreduction("KMin", "Kmin_reduction")
    argKmin = _kreduction("ArgKMin", "argKmin")
    argKmin_reduction = _kreduction("ArgKMin", "argKmin_reduction")
    Kmin_argKmin = _kreduction("KMin_ArgKMin", "Kmin_argKmin")
    Kmin_argKmin_reduction = _kreduction("KMin_ArgKMin", "Kmin_argKmin_reduction")

    def logsumexp(self, axis: int | None = None, dim: int | None = None, weight: Any = None,
                  **kwargs) -> Any:
        """Log-sum-exp reduction ``log sum exp(F)`` (``log sum exp(F) * weight`` with a weight).

        Parameters
        ----------
        axis, dim : int
            ``nbatchdims`` (over i) or ``nbatchdims + 1`` (over j); required.
        weight : LazyTensor, optional
            Weights of any dimension (the LogSumExp ``formula2``).
        """
        return self.reduction("LogSumExp", other=weight, axis=axis, dim=dim, **kwargs)

    def logsumexp_reduction(self, **kwargs) -> Any:
        """Alias of :meth:`logsumexp`."""
        return self.logsumexp(**kwargs)

    def sumsoftmaxweight(self, weight: Any, axis: int | None = None, dim: int | None = None,
                         **kwargs) -> Any:
        """Softmax-weighted sum ``sum exp(F) weight / sum exp(F)`` over i or j.

        Parameters
        ----------
        weight : LazyTensor
            The weights (any dimension).
        axis, dim : int
            ``nbatchdims`` (over i) or ``nbatchdims + 1`` (over j).
        """
        return self.reduction("SumSoftMaxWeight", other=weight, axis=axis, dim=dim, **kwargs)

    def sumsoftmaxweight_reduction(self, **kwargs) -> Any:
        """Alias of :meth:`sumsoftmaxweight`."""
        return self.sumsoftmaxweight(**kwargs)

    softmax = sumsoftmaxweight

    # ------------------------------------------------------------ K @ v, solve
    def __matmul__(self, v: np.ndarray, **kwargs) -> Any:
        """``K @ v``: the sum over j of ``K_ij * v_j``, for K of dimension 1.

        ``v`` is ``(N,)`` (the result is ``(M,)``) or ``(..., N, D)`` (the
        result is ``(..., M, D)``). ``kwargs`` go to the Sum reduction, e.g.
        ``K.__matmul__(v, out=out)`` writes the result into ``out`` (of the
        result's shape, or ``(M, 1)`` for a vector ``v``) and returns it.
        """
        if self._shape[-1] != 1:
            raise ValueError("The 'K @ v' syntax is only supported for LazyTensors 'K' whose trailing "
                             f"dimension is equal to 1. Here, K.shape = {self.shape}.")
        v = self._as_array(v)
        is_vector = v.ndim == 1
        if is_vector:
            v = v[:, None]
        out = kwargs.pop("out", None)
        if out is not None and is_vector and isinstance(out, np.ndarray) and out.ndim == 1:
            kwargs["out"] = out.reshape(-1, 1)  # a view when out is contiguous; checked by Genred
            if not np.shares_memory(kwargs["out"], out):
                raise ValueError("out must be a writeable C-contiguous array")
        elif out is not None:
            kwargs["out"] = out
        kv = self * self.lt_constructor(v[..., None, :, :])
        kv = kv.sum(kv.dim() - 2, **kwargs)
        if is_vector and self._is_array(kv):
            kv = out if out is not None else kv.reshape(-1)
        return kv

    def _as_operand(self, v: Any) -> Any:
        return self.arrays.cast(self._as_array(v), self._dtype)

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """``K @ v`` for ``scipy.sparse.linalg.aslinearoperator`` (v is cast to K's dtype)."""
        return self @ self._as_operand(v)

    def rmatvec(self, v: np.ndarray) -> np.ndarray:
        """``K.T @ v`` for ``scipy.sparse.linalg.aslinearoperator`` (v is cast to K's dtype)."""
        return self.T @ self._as_operand(v)

    def solve(self, other: Any, var: Any = None, call: bool = True, **kwargs) -> Any:
        """Solve ``(K + alpha Id) a = b`` by conjugate gradient (KernelSolve).

        Parameters
        ----------
        other : ndarray or LazyTensor
            The right-hand side b: an array ``(M, D)`` indexed by i (or ``(M,)``,
            giving an ``(M,)`` result), or a LazyTensor variable.
        var : LazyTensor, optional
            A symbolic variable of ``self`` in which ``self`` is linear; by
            default the unknown is a new variable and the operator ``self * var``.
        call : bool
            Solve now (when possible) rather than return a callable LazyTensor.
        **kwargs
            ``alpha`` (ridge, default 1e-10), ``eps`` (default 1e-6), ``backend``,
            ``ranges``..., KernelSolve options (``dtype_acc``...) and its solver options:
            ``x0``, ``maxiter``, ``rtol``, ``precond="nystrom"`` (with ``rank``,
            ``landmarks``, ``seed``, ``inner_dtype``), ``callback``, ``verbose``, ``return_info``; see
            :meth:`pykeops_go.numpy.KernelSolve.__call__`.
        """
        self._check_not_reduced()
        vector = False
        if not hasattr(other, "_apply"):
            other = self._as_array(other) if isinstance(other, (list, tuple)) else other
            if self._is_array(other) and other.ndim == 1:
                other, vector = other[:, None], True
            other = self.lt_constructor(other, axis=0)
        if not other.symbolic_variables and self.symbolic_variables:
            raise ValueError("If 'self' has symbolic variables, so should 'other'.")
        if other.axis not in (0, 1):
            raise ValueError("solve: the right-hand side must be a variable indexed by i or j, "
                             f"got a parameter of dimension {other.ndim}")
        axis = 1 - other.axis
        if var is None:
            var = self.lt_constructor((self.new_variable_index(), other.ndim, axis))
            op = self * var
        else:
            var = self._variable(var, "solve")
            if not var.symbolic_variables:
                raise ValueError("solve: 'var' must be a symbolic variable, e.g. Vj(0, D)")
            op = self
        res = op._join([other], op.is_complex)
        res.formula, res.ndim, res.formula2 = op.formula, op.ndim, None
        res.reduction_op, res.opt_arg, res.axis = "Solve", None, axis
        res.varindex, res._varformula, res.other = var.symbolic_variables[0][0], var.formula, other
        res._vector_rhs = vector
        return res._compile_and_call(kwargs, call and not other.symbolic_variables)
