"""Property-based tests (hypothesis) of the command line tool: random small
inputs (.npy files in C or Fortran order, either byte order, float32 or
float64, (rows,) or (rows, d), format versions 1.0 to 3.0) and random bad
files (truncated, wrong dtype, wrong shape, garbage headers, mixed dtypes). The installed ``gokeops`` binary
(.venv/bin/gokeops, built by ``make install``) runs under a timeout: its
output .npy must match dense NumPy (the semantics of docs/differences.md),
or it must exit with a nonzero code and print one line of error, never a
stack trace, a crash or a hang.

PYKEOPS_GO_CLI_PROPERTY_EXAMPLES sets the number of examples (default 300);
the examples are the same at every run unless PYKEOPS_GO_PROPERTY_RANDOM is
set.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reduction_semantics import reference
from test_properties import check_indices, check_values

EXAMPLES = int(os.environ.get("PYKEOPS_GO_CLI_PROPERTY_EXAMPLES", "300"))
DERANDOMIZE = not os.environ.get("PYKEOPS_GO_PROPERTY_RANDOM")
CALL_TIMEOUT = 30.0  # seconds for one run of the binary: the inputs are small

GOKEOPS = os.path.join(os.path.dirname(sys.executable), "gokeops")

# Exit codes of cmd/gokeops/main.go.
EXIT_USAGE, EXIT_SPEC, EXIT_INPUT = 2, 3, 4

# name -> (formula, dense F of (xi, yj, bj, p), dimension as a function of (D, E))
FORMULAS = {
    "gauss": ("Exp(-SqDist(x,y))*b", lambda x, y, b, p: np.exp(-((x - y) ** 2).sum(-1, keepdims=True)) * b,
              lambda D, E: E),
    "sqdist": ("SqDist(x,y)*p", lambda x, y, b, p: ((x - y) ** 2).sum(-1, keepdims=True) * p, lambda D, E: 1),
    "scal": ("(x|y)-b", lambda x, y, b, p: (x * y).sum(-1, keepdims=True) - b, lambda D, E: E),
}
REDUCTIONS = ["Sum", "Min", "Max", "ArgMin", "ArgMax", "KMin", "ArgKMin", "LogSumExp"]
SCALAR_F = {"KMin", "ArgKMin", "LogSumExp"}  # F of dimension 1 here (keeps the output layout simple)
BAD = [None] * 6 + ["truncated_data", "truncated_header", "garbage_header", "bad_magic", "int_dtype",
                    "mixed_dtype", "columns", "rows", "ndim3", "empty_file"]


@pytest.fixture(scope="module")
def binary():
    assert os.access(GOKEOPS, os.X_OK), f"{GOKEOPS} missing: run make install"
    return GOKEOPS


@st.composite
def cases(draw):
    red = draw(st.sampled_from(REDUCTIONS))
    name = draw(st.sampled_from(["sqdist"] if red in SCALAR_F else list(FORMULAS)))
    D, E = draw(st.integers(1, 3)), (1 if red in SCALAR_F else draw(st.integers(1, 3)))
    return dict(red=red, name=name, D=D, E=E, M=draw(st.integers(1, 25)), N=draw(st.integers(1, 25)),
                axis=draw(st.integers(0, 1)), dtype=draw(st.sampled_from(["float32", "float64"])),
                K=draw(st.integers(1, 4)),
                orders=[draw(st.sampled_from(["C", "F"])) for _ in range(4)],
                swapped=[draw(st.booleans()) for _ in range(4)],
                versions=[draw(st.sampled_from([(1, 0), (1, 0), (2, 0), (3, 0)])) for _ in range(4)],
                flat=draw(st.booleans()),  # (rows,) files for the dimension-1 variables
                threads=draw(st.integers(1, 3)),
                bad=draw(st.sampled_from(BAD)), bad_arg=draw(st.integers(0, 3)),
                seed=draw(st.integers(0, 2**32 - 1)))


def save(path, a, order, swapped, version):
    if swapped:
        a = a.astype(a.dtype.newbyteorder("S"))
    if order == "F" and a.ndim == 2 and a.shape[0] > 1 and a.shape[1] > 1:
        a = np.asfortranarray(a)
        assert not a.flags.c_contiguous
    with open(path, "wb") as f:
        np.lib.format.write_array(f, a, version=version)


def spoil(path, kind, rng):
    """Make the .npy file at path bad in the way kind says."""
    with open(path, "rb") as f:
        raw = f.read()
    pre = 10 if raw[6] == 1 else 12  # the header length: 2 bytes in version 1.0, 4 after
    hlen = pre + int.from_bytes(raw[8:pre], "little")
    if kind == "truncated_data":
        raw = raw[:hlen + max(0, (len(raw) - hlen) // 2 - 1)]
    elif kind == "truncated_header":
        raw = raw[:int(rng.integers(1, hlen))]
    elif kind == "garbage_header":
        end = raw.index(b"}") + 1  # junk inside the header's dictionary
        start = int(rng.integers(pre, end))
        junk = rng.integers(0, 256, end - start, dtype=np.uint8).tobytes()
        raw = raw[:start] + junk + raw[end:]
    elif kind == "bad_magic":
        raw = b"\x93NUMPX" + raw[6:]
    elif kind == "empty_file":
        raw = b""
    with open(path, "wb") as f:
        f.write(raw)


def run_case(binary, tmp_path, c):
    rng = np.random.default_rng(c["seed"])
    dt = np.dtype(c["dtype"])
    M, N, D, E = c["M"], c["N"], c["D"], c["E"]
    x = rng.uniform(-1.5, 1.5, (M, D)).astype(dt)
    y = rng.uniform(-1.5, 1.5, (N, D)).astype(dt)
    b = rng.uniform(-1.5, 1.5, (N, E)).astype(dt)
    p = rng.uniform(0.5, 1.5, (1,)).astype(dt)
    arrays = [x, y, b, p]
    files = []
    bad, which = c["bad"], c["bad_arg"]
    for k, a in enumerate(arrays):
        out = a
        if k < 3 and a.shape[1] == 1 and c["flat"]:
            out = a[:, 0]
        if bad is not None and k == which:
            if bad == "int_dtype":
                out = (out * 10).astype(np.int32)
            elif bad == "mixed_dtype":
                out = out.astype(np.float32 if dt == np.float64 else np.float64)
            elif bad == "columns":
                out = np.concatenate([a, a[:, :1]], 1) if k < 3 else np.r_[a, a]
            elif bad == "rows" and k in (1, 2):  # y and b must agree on N
                out = a[:-1] if N > 1 else np.concatenate([a, a])
            elif bad == "rows":
                out = np.concatenate([a, a]) if k == 3 else out  # a parameter of the wrong size
                if k == 0:
                    out = None  # x has no partner: drop the file (too few arguments)
            elif bad == "ndim3":
                out = a[None] if a.ndim == 2 else a[None, None]  # (1, 1, d) for a parameter
        path = tmp_path / f"a{k}.npy"
        if out is not None:
            save(path, out, c["orders"][k], c["swapped"][k], c["versions"][k])
            if bad is not None and k == which and bad in ("truncated_data", "truncated_header", "garbage_header",
                                                          "bad_magic", "empty_file"):
                spoil(path, bad, rng)
            files.append(str(path))
    out_path = tmp_path / "out.npy"
    if out_path.exists():
        out_path.unlink()
    argv = [binary, "reduce", "--formula", FORMULAS[c["name"]][0], "--alias", f"x=Vi({D})",
            "--alias", f"y=Vj({D})", "--alias", f"b=Vj({E})", "--alias", "p=Pm(1)",
            "--reduction", c["red"], "--axis", str(c["axis"]), "--threads", str(c["threads"]),
            "--progress", "never", "-q", "-o", str(out_path)]
    if "KMin" in c["red"]:
        argv += ["-k", str(c["K"])]
    argv += files
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=CALL_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"gokeops did not finish within {CALL_TIMEOUT} s (hang): {argv}")
    err = proc.stderr
    assert proc.returncode >= 0, f"gokeops killed by signal {-proc.returncode}: {err}"
    for trace in ("goroutine ", "panic:", "Traceback", "internal error", "runtime error"):
        assert trace not in err, err
    if bad is not None:
        assert proc.returncode != 0, f"{bad} on argument {which} accepted: {proc.stdout} {err}"
        assert proc.returncode in (EXIT_USAGE, EXIT_SPEC, EXIT_INPUT), (proc.returncode, err)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("gokeops"), err
        assert not out_path.exists(), "an output written for a bad input"
        return
    assert proc.returncode == 0 and err == "", (proc.returncode, err)
    got = np.load(out_path)
    x64, y64, b64, p64 = (a.astype(np.float64) for a in arrays)
    with np.errstate(all="ignore"):
        F = FORMULAS[c["name"]][1](x64[:, None, :], y64[None, :, :], b64[None, :, :], p64)
    F = np.broadcast_to(F, (M, N, F.shape[-1]))
    K = c["K"] if "KMin" in c["red"] else None
    vals, idx = reference(c["red"], F, None, K, c["axis"], None)
    rows = M if c["axis"] == 1 else N
    if c["red"] in ("KMin", "ArgKMin"):  # F has dimension 1: (rows, K)
        assert got.shape == (rows, K), got.shape
        got = got[..., None]
    elif c["red"] == "LogSumExp":
        assert got.shape == (rows, 1), got.shape
    if c["red"].startswith("Arg"):
        check_indices(got, idx, dict(axis=c["axis"], K=K), F, dt)
    else:
        assert got.dtype == dt, (got.dtype, dt)
        check_values(got, vals, dt, c["red"])


@settings(max_examples=EXAMPLES, deadline=None, derandomize=DERANDOMIZE, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(c=cases())
def test_random_files_match_dense_numpy_or_fail_cleanly(binary, tmp_path, c):
    run_case(binary, tmp_path, c)
