"""pykeops.numpy.lazytensor.LazyTensor: LazyTensor, ComplexLazyTensor, Vi, Vj, Pm."""

from pykeops_go.numpy.lazytensor.LazyTensor import ComplexLazyTensor, LazyTensor, Pm, Vi, Vj  # noqa: F401
