"""Write the public names of every module of an installed pykeops to a JSON file.

Run with the Python of an environment that has the real pykeops (not this
repository's shim), e.g. ``.venv-ref/bin/python scripts/pykeops_surface.py``;
the result is committed as ``tests/data/pykeops_surface.json`` and read by
``tests/test_surface.py``.

What counts as a public name of a module: every name without a leading
underscore bound in the module after all its modules are imported, except
    - modules that are not part of pykeops (``np``, ``os``, ``keopscore``),
    - classes and functions imported from outside pykeops and keopscore
      (``OrderedDict``, ``reduce``, ``join``), and
    - leftover file objects (``pykeops.v``, the handle its ``__init__`` reads
      the version with).
Each name is recorded with its kind: module, class, function or value, and each
class a module defines with its public members (those of its bases defined in
pykeops too, not those of torch or object).

A module that cannot be imported here (the ``pykeops.torch`` modules when
torch is absent) is read from its source instead: names bound at its top
level (inside ``if``/``try`` blocks too, whichever branch runs), with
``from X import *`` resolved, plus its child modules. A module that can be
imported is read both ways and gets the union, so names bound only with torch
or a GPU (``pykeops.test_torch_bindings``) are listed too; the file records how
each module was read. Test and demo folders (``pykeops.test``) are left out.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import io
import json
import os
import sys
import types

OWN_ROOTS = ("pykeops", "keopscore")
# Folders of the package that hold tests and demos, not the API.
NOT_API = {"test", "examples", "sandbox", "tutorials", "benchmarks"}


def is_own(modname: str | None) -> bool:
    return bool(modname) and modname.split(".")[0] in OWN_ROOTS


def kind_of(value) -> str | None:
    """The kind recorded for a runtime value, or None when it is left out."""
    if isinstance(value, types.ModuleType):
        return "module" if value.__name__.split(".")[0] == "pykeops" else None
    if inspect.isclass(value):
        return "class" if is_own(value.__module__) else None
    if inspect.isroutine(value):
        return "function" if is_own(getattr(value, "__module__", None)) else None
    if isinstance(value, io.IOBase):
        return None
    return "value"


def module_names(root: str) -> list[str]:
    """Every module of the package, found on disk (a package that fails to
    import, such as pykeops.torch without torch, still lists its children)."""
    base = os.path.dirname(importlib.util.find_spec(root).origin)
    names = []
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if os.path.exists(os.path.join(folder, d, "__init__.py")))
        rel = os.path.relpath(folder, base)
        pkg = root if rel == "." else root + "." + rel.replace(os.sep, ".")
        for f in files:
            if f == "__init__.py":
                names.append(pkg)
            elif f.endswith(".py"):
                names.append(pkg + "." + f[:-3])
    return sorted(names)


def source_path(modname: str) -> str:
    spec = importlib.util.find_spec(modname.split(".")[0])
    base = os.path.dirname(spec.origin)
    parts = modname.split(".")[1:]
    path = os.path.join(base, *parts)
    if os.path.isdir(path):
        return os.path.join(path, "__init__.py")
    return path + ".py"


def resolve(modname: str, level: int, target: str | None) -> str:
    """Absolute module name of a (possibly relative) import in modname."""
    if level == 0:
        return target or ""
    is_pkg = source_path(modname).endswith("__init__.py")
    base = modname.split(".")
    base = base if is_pkg else base[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def static_names(modname: str, all_modules: list[str], seen: set[str] | None = None) -> dict[str, str]:
    """Public names of a module read from its source (see the module docstring)."""
    seen = set() if seen is None else seen
    if modname in seen:
        return {}
    seen.add(modname)
    tree = ast.parse(open(source_path(modname), encoding="utf-8").read())
    names: dict[str, str] = {}

    def bind(name: str, kind: str | None) -> None:
        if kind is not None and not name.startswith("_"):
            names[name] = kind

    def star(target: str) -> None:
        if target.split(".")[0] == "pykeops":
            names.update(static_names(target, all_modules, seen))
            return
        try:
            mod = importlib.import_module(target)
        except Exception:
            return
        public = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
        for n in public:
            bind(n, kind_of(getattr(mod, n)))

    def imported_kind(source: str, name: str) -> str | None:
        full = source + "." + name
        if full in all_modules:
            return "module"
        if source.split(".")[0] == "pykeops":
            return static_names(source, all_modules, seen.copy()).get(name) if source in all_modules else None
        if source.split(".")[0] in OWN_ROOTS:
            try:
                return kind_of(getattr(importlib.import_module(source), name))
            except Exception:  # a keopscore module that needs CUDA to import
                return None
        return None  # from torch / numpy / the standard library

    def visit(stmts) -> None:
        for node in stmts:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                bind(node.name, "function")
            elif isinstance(node, ast.ClassDef):
                bind(node.name, "class")
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                kind = "function" if isinstance(node.value, ast.Lambda) else "value"
                while targets:  # x = ..., x, y = ...; not os.environ[...] = ...
                    t = targets.pop()
                    if isinstance(t, ast.Name):
                        bind(t.id, kind)
                    elif isinstance(t, (ast.Tuple, ast.List)):
                        targets.extend(t.elts)
                    elif isinstance(t, ast.Starred):
                        targets.append(t.value)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        bind(a.asname, "module" if a.name in all_modules else None)
            elif isinstance(node, ast.ImportFrom):
                source = resolve(modname, node.level, node.module)
                for a in node.names:
                    if a.name == "*":
                        star(source)
                    else:
                        bind(a.asname or a.name, imported_kind(source, a.name))
            elif isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
                continue  # a demo run as a script: not part of the module
            elif isinstance(node, (ast.If, ast.Try, ast.With, ast.For, ast.While)):
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(node, field, []))
                for h in getattr(node, "handlers", []):
                    visit(h.body)

    visit(tree.body)
    # Importing all modules binds each child module in its package.
    prefix = modname + "."
    for m in all_modules:
        if m.startswith(prefix) and "." not in m[len(prefix):]:
            names.setdefault(m[len(prefix):], "module")
    return names


def runtime_members(cls: type) -> list[str]:
    """Public attributes of a class that pykeops (or keopscore) defines, inherited ones too."""
    members = set()
    for klass in cls.__mro__:
        if is_own(klass.__module__):
            members.update(a for a in vars(klass) if not a.startswith("_"))
    return sorted(members)


def static_classes(modname: str, all_modules: list[str]) -> dict[str, list[str]]:
    """Members of the classes a module defines, read from its source: names bound
    in the class body, plus the members of bases defined in pykeops."""
    tree = ast.parse(open(source_path(modname), encoding="utf-8").read())
    imports, defs = {}, {}

    def visit(stmts) -> None:
        for node in stmts:
            if isinstance(node, ast.ImportFrom):
                source = resolve(modname, node.level, node.module)
                for a in node.names:
                    imports[a.asname or a.name] = (source, a.name)
            elif isinstance(node, ast.ClassDef):
                defs[node.name] = node
            elif isinstance(node, (ast.If, ast.Try)):
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(node, field, []))
                for h in getattr(node, "handlers", []):
                    visit(h.body)

    visit(tree.body)
    classes: dict[str, list[str]] = {}

    def members(name: str) -> set[str]:
        if name in classes:
            return set(classes[name])
        node = defs[name]
        own = set()
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                own.add(item.name)
            elif isinstance(item, ast.Assign):
                own.update(t.id for t in item.targets if isinstance(t, ast.Name))
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                own.add(item.target.id)
        for base in node.bases:
            if not isinstance(base, ast.Name):
                continue  # torch.autograd.Function and the like: not pykeops
            if base.id in defs:
                own |= members(base.id)
            elif base.id in imports and is_own(imports[base.id][0]):
                source, orig = imports[base.id]
                try:
                    own.update(runtime_members(getattr(importlib.import_module(source), orig)))
                except Exception:
                    if source in all_modules:
                        own.update(static_classes(source, all_modules).get(orig, []))
        classes[name] = sorted(a for a in own if not a.startswith("_"))
        return set(classes[name])

    for name in defs:
        if not name.startswith("_"):
            members(name)
    return {k: v for k, v in classes.items() if not k.startswith("_")}


def runtime_names(mod: types.ModuleType) -> dict[str, str]:
    names = {}
    for n in dir(mod):
        if n.startswith("_"):
            continue
        kind = kind_of(getattr(mod, n))
        if kind is not None:
            names[n] = kind
    return names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", default=os.path.normpath(os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "pykeops_surface.json")))
    args = ap.parse_args()

    os.environ.setdefault("PYKEOPS_VERBOSE", "0")
    import pykeops

    if not hasattr(pykeops, "common") or "pykeops_go" in sys.modules:
        sys.exit("this is not the real pykeops: run with the Python of an environment that has it")
    all_modules = [m for m in module_names("pykeops") if not set(m.split(".")) & NOT_API]
    loaded, how = {}, {}
    for m in all_modules:
        try:
            loaded[m] = importlib.import_module(m)
            how[m] = "import"
        except Exception as exc:  # torch absent, or no CUDA for the NVRTC loader
            how[m] = "source (import failed: %s)" % type(exc).__name__
    modules = {}
    for m in all_modules:
        # The source also lists names bound only on other set-ups (torch
        # installed, a GPU): a module read both ways gets the union.
        names = static_names(m, all_modules)
        if m in loaded:
            names.update(runtime_names(loaded[m]))
            how[m] = "import and source"

        # An attribute bound by importing a test module is not part of the surface.
        names.pop("test", None) if m == "pykeops" else None
        if m in loaded:
            classes = {n: runtime_members(getattr(loaded[m], n)) for n, k in names.items()
                       if k == "class" and getattr(getattr(loaded[m], n, None), "__module__", None) == m}
        else:
            classes = static_classes(m, all_modules)
        modules[m] = {"read_by": how[m], "names": dict(sorted(names.items())),
                      "class_members": dict(sorted(classes.items()))}
    out = {
        "package": "pykeops",
        "version": pykeops.__version__,
        "generated_by": "scripts/pykeops_surface.py",
        "modules": modules,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")
    total = sum(len(v["names"]) for v in modules.values())
    print("%d modules, %d names -> %s" % (len(modules), total, args.output))


if __name__ == "__main__":
    main()
