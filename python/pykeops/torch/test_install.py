"""pykeops.torch.test_install: the torch install check."""

from pykeops_go.torch.utils import test_torch_bindings  # noqa: F401
