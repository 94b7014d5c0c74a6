"""pykeops.torch.generic.generic_ops: generic_sum, generic_logsumexp, generic_argmin, generic_argkmin."""

from pykeops_go.torch.generic.generic_ops import (  # noqa: F401
    generic_argkmin,
    generic_argmin,
    generic_logsumexp,
    generic_sum,
)
