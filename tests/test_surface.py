"""Every public name of pykeops 2.3 is found at the same path in ``pykeops`` (the
shim) and ``pykeops_go``.

The names come from tests/data/pykeops_surface.json, written from the real
pykeops 2.3 by scripts/pykeops_surface.py (run it again with the Python of an
environment holding pykeops to refresh the file).
"""

import importlib
import json
import pathlib
import re

import pytest

SURFACE_FILE = pathlib.Path(__file__).parent / "data" / "pykeops_surface.json"
DIFFERENCES_FILE = pathlib.Path(__file__).parent.parent / "docs" / "differences.md"

# The module trees checked, besides the top-level module "pykeops" itself: a
# module is covered when its path is one of these or lies below one.
COVERED_MODULE_PREFIXES = ("pykeops.config", "pykeops.common", "pykeops.numpy", "pykeops.torch")

# Below the covered trees, but not reproduced: pykeops' loaders of its compiled
# C++ / NVRTC modules.
UNCOVERED_MODULE_PREFIXES = ("pykeops.common.keops_io",)

# Names of covered modules that only served the C++/NVRTC loaders: absent on
# purpose, each listed in docs/differences.md.
ABSENT_NAMES = {
    "pykeops": {"keops_io", "compile_jit_binary"},
    "pykeops.common": {"keops_io"},
    "pykeops.numpy.operations": {"keops_binder"},
    "pykeops.torch.operations": {"keops_binder", "GenredAutograd_fun"},
    "pykeops.torch.generic.generic_red": {"GenredAutograd_base", "GenredAutograd_fun"},
}

# Names bound by an uncovered module (covered with that module).
NAMES_OF_UNCOVERED_MODULES = {}

# Members of pykeops' classes that only served its own way of building
# LazyTensors (ours builds them with private methods); listed in docs/differences.md.
LAZYTENSOR_BUILDERS = {"fixvariables", "init", "join", "promote"}
ABSENT_MEMBERS = {
    "pykeops.common.lazy_tensor": {"GenericLazyTensor": LAZYTENSOR_BUILDERS,
                                   "ComplexGenericLazyTensor": LAZYTENSOR_BUILDERS},
    "pykeops.numpy.lazytensor.LazyTensor": {"LazyTensor": LAZYTENSOR_BUILDERS,
                                            "ComplexLazyTensor": LAZYTENSOR_BUILDERS},
    "pykeops.torch.lazytensor.LazyTensor": {"LazyTensor": LAZYTENSOR_BUILDERS,
                                            "ComplexLazyTensor": LAZYTENSOR_BUILDERS},
}

SURFACE = json.loads(SURFACE_FILE.read_text())
MODULES = SURFACE["modules"]


def _under(module, prefixes):
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def is_covered(module):
    if module == "pykeops":
        return True
    return _under(module, COVERED_MODULE_PREFIXES) and not _under(module, UNCOVERED_MODULE_PREFIXES)


def required_names(module):
    names = dict(MODULES[module]["names"])
    for name in ABSENT_NAMES.get(module, ()):
        names.pop(name, None)
    for name, owner in NAMES_OF_UNCOVERED_MODULES.get(module, {}).items():
        if not is_covered(owner):
            names.pop(name, None)
    return names


COVERED = sorted(m for m in MODULES if is_covered(m))


def test_surface_file_is_pykeops_2_3():
    assert SURFACE["package"] == "pykeops" and SURFACE["version"] == "2.3"
    # The file lists the whole package, torch included; only COVERED is checked.
    assert {"pykeops", "pykeops.numpy", "pykeops.torch", "pykeops.torch.utils"} <= set(MODULES)
    assert not any(m.startswith("pykeops.test") for m in MODULES)
    assert len(COVERED) == 36
    assert sum(len(required_names(m)) for m in COVERED) == 272


@pytest.mark.parametrize("package", ["pykeops", "pykeops_go"])
@pytest.mark.parametrize("module", COVERED)
def test_module_has_every_pykeops_name(package, module):
    path = package + module[len("pykeops"):]
    for m in COVERED:  # as pykeops is once all its modules are imported
        importlib.import_module(package + m[len("pykeops"):])
    mod = importlib.import_module(path)
    missing = [f"{path}.{n}" for n in required_names(module) if not hasattr(mod, n)]
    assert not missing, "missing: " + ", ".join(missing)
    wrong = []
    for name, kind in required_names(module).items():
        value = getattr(mod, name)
        got = ("module" if type(value).__name__ == "module" else "class" if isinstance(value, type)
               else "function" if callable(value) else "value")
        # pykeops' config objects are values here too; a callable value is fine.
        if kind != got and not (kind == "value" and got in ("class", "function")):
            wrong.append(f"{path}.{name}: {got}, pykeops: {kind}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("module", [m for m in COVERED if MODULES[m]["class_members"]])
def test_classes_have_every_pykeops_member(module):
    mod = importlib.import_module(module)
    missing = []
    for cls, members in MODULES[module]["class_members"].items():
        absent = ABSENT_MEMBERS.get(module, {}).get(cls, set())
        missing += [f"{module}.{cls}.{a}" for a in members if a not in absent and not hasattr(getattr(mod, cls), a)]
    assert not missing, "missing: " + ", ".join(missing)


def test_submodules_are_the_shim_modules():
    import pykeops

    # Module-valued names point into the shim, not into pykeops_go.
    assert pykeops.pykeopsconfig is pykeops.config
    assert pykeops.common.utils.pykeops is pykeops
    assert pykeops.numpy.utils.pykeops is pykeops
    assert pykeops.common.get_options.pykeops is pykeops
    assert pykeops.numpy.lazytensor.LazyTensor.__name__ == "pykeops.numpy.lazytensor.LazyTensor"
    assert pykeops.numpy.cluster.matrix.__name__ == "pykeops.numpy.cluster.matrix"
    # ... and a name that is both a module and a function in pykeops is the function in its package.
    assert callable(pykeops.numpy.cluster.grid_cluster)


def test_import_pykeops_binds_numpy(tmp_path):
    import subprocess
    import sys

    code = "import pykeops; print(pykeops.numpy.Genred.__name__, pykeops.common.utils.axis2cat(1))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["Genred", "0"]


def test_absent_names_are_documented():
    text = DIFFERENCES_FILE.read_text()
    section = text[text.index("## Module surface"):]
    for module, names in ABSENT_NAMES.items():
        for name in names:
            assert re.search(rf"`{re.escape(module)}\.{re.escape(name)}`", section), (module, name)
    assert "pykeops.common.keops_io" in section
    for module, classes in ABSENT_MEMBERS.items():
        for cls, members in classes.items():
            for name in members:
                assert f"`{name}`" in section, (module, cls, name)
