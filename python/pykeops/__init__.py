"""pykeops: compatibility shim so that ``import pykeops`` uses pykeops_go.

Mirrors pykeops 2.3's top level; the code lives in :mod:`pykeops_go.utils`.
"""

from pykeops_go import __version__  # noqa: F401
from pykeops_go.utils import (  # noqa: F401
    clean_pykeops,
    get_build_folder,
    set_build_folder,
    set_verbose,
    test_numpy_bindings,
    verbose,
)

from pykeops import config  # noqa: F401,E402

default_device_id = 0  # default GPU number (no GPU in this build)


def __getattr__(name):
    # pykeops.test_torch_bindings, loaded on first use: `import pykeops` never imports torch.
    if name == "test_torch_bindings":
        from pykeops.torch.test_install import test_torch_bindings
        return test_torch_bindings
    raise AttributeError(f"module 'pykeops' has no attribute {name!r}")
