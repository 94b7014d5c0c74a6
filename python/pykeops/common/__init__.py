"""pykeops.common: the modules shared by pykeops' NumPy and torch bindings."""

from pykeops.common import (  # noqa: F401
    get_options,
    gpu_utils,
    lazy_tensor,
    operations,
    parse_type,
    utils,
)
