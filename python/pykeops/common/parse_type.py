"""pykeops.common.parse_type: alias parsing."""

from pykeops_go.common.arguments import get_type  # noqa: F401
from pykeops_go.numpy.generic.generic_red import complete_aliases  # noqa: F401
