"""pykeops.torch.utils: torchtools and the dense torch reference helpers."""

from pykeops_go.torch.utils import (  # noqa: F401
    is_on_device,
    squared_distances,
    torch_kernel,
    torchtools,
)
