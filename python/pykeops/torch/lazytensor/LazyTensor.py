"""pykeops.torch.lazytensor.LazyTensor: LazyTensor, ComplexLazyTensor, Vi, Vj, Pm."""

from pykeops_go.torch.lazytensor.LazyTensor import ComplexLazyTensor, LazyTensor, Pm, Vi, Vj  # noqa: F401
