"""pykeops: compatibility shim so that ``import pykeops`` uses pykeops_go.

Has the names of pykeops 2.3's top level; the code lives in :mod:`pykeops_go`.
"""

from pykeops_go import __version__  # noqa: F401
from pykeops_go.utils import (  # noqa: F401
    check_health,
    clean_pykeops,
    default_device_id,
    get_build_folder,
    set_build_folder,
    set_verbose,
    show_cuda_status,
    test_numpy_bindings,
    verbose,
)

from pykeops import config  # noqa: E402
from pykeops import config as pykeopsconfig  # noqa: E402,F401
from pykeops.config import numpy_found, pykeops_nvrtc_name, torch_found  # noqa: E402,F401
from pykeops import common, numpy  # noqa: E402,F401

keops_get_build_folder = get_build_folder

default_device_id = 0  # default GPU number (no GPU in this build)


def __getattr__(name):
    # pykeops.test_torch_bindings, loaded on first use: `import pykeops` never imports torch.
    if name == "test_torch_bindings":
        from pykeops.torch.test_install import test_torch_bindings
        return test_torch_bindings
    raise AttributeError(f"module 'pykeops' has no attribute {name!r}")
