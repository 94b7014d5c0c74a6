"""pykeops.common.utils: axis/category helpers and messages."""

from pykeops_go.common.arguments import axis2cat, cat2axis  # noqa: F401
from pykeops_go.utils import pyKeOps_Message, pyKeOps_Warning  # noqa: F401
