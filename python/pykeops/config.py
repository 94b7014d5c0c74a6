"""pykeops.config: the attributes scripts read (no GPU in this build)."""

from pykeops_go.utils import get_build_folder, gpu_available, numpy_found, torch_found  # noqa: F401

use_cuda = gpu_available
