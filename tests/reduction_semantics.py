"""The reductions on dense NumPy arrays, with the special-value and
empty-reduction semantics of docs/differences.md: the reference of
test_special_values.py and test_properties.py."""

import numpy as np


def reference(red, F, G, K, axis, mask):
    """docs/differences.md on dense F (..., M, N, D) (and weights G): (values, indices)."""
    Fr = np.moveaxis(F, -3 if axis == 0 else -2, -1)  # (..., rows, D, n)
    n = Fr.shape[-1]
    visit = np.ones(Fr.shape, bool)
    if mask is not None:
        visit = np.broadcast_to((mask.T if axis == 0 else mask)[:, None, :], Fr.shape)
    if red == "Sum":
        with np.errstate(invalid="ignore"):
            return np.where(visit, Fr, 0.0).sum(-1), None
    valid = visit & ~np.isnan(Fr)
    if red in ("Min", "Max", "ArgMin", "ArgMax", "Min_ArgMin", "Max_ArgMax"):
        is_max = red.startswith("Max") or red == "ArgMax"
        key = np.where(valid, Fr, -np.inf if is_max else np.inf)
        best = key.max(-1, initial=-np.inf) if is_max else key.min(-1, initial=np.inf)
        first = valid & (key == best[..., None])
        idx = np.where(first.any(-1), first.argmax(-1), -1) if n else np.full(best.shape, -1)
        return best, idx
    if red in ("KMin", "ArgKMin", "KMin_ArgKMin"):
        key = np.where(valid, Fr, np.inf)
        order = np.argsort(key, -1, kind="stable")
        order = np.take_along_axis(order, np.argsort(~np.take_along_axis(valid, order, -1), -1, kind="stable"), -1)
        order = order[..., :K]
        vals = np.take_along_axis(key, order, -1)
        ok = np.take_along_axis(valid, order, -1)
        idx = np.where(ok, order, -1)
        pad = K - vals.shape[-1]
        vals = np.concatenate([vals, np.full(vals.shape[:-1] + (pad,), np.inf)], -1)
        idx = np.concatenate([idx, np.full(idx.shape[:-1] + (pad,), -1)], -1)
        return np.swapaxes(vals, -1, -2), np.swapaxes(idx, -1, -2)  # (..., rows, K, D)
    # the LogSumExp family: F is scalar
    f = Fr[..., 0, :]
    vis = visit[..., 0, :]
    nan = (vis & np.isnan(f)).any(-1)
    fv = np.where(vis & ~np.isnan(f), f, -np.inf)
    m = fv.max(-1, initial=-np.inf)
    with np.errstate(all="ignore"):
        e = np.where(np.isposinf(m)[..., None], (fv == np.inf).astype(float),
                     np.where(np.isneginf(fv), 0.0, np.exp(fv - m[..., None])))
        Gr = np.ones(f.shape + (1,)) if G is None else np.moveaxis(G, -3 if axis == 0 else -2, -2)
        s = np.where(e[..., None] > 0, e[..., None] * Gr, 0.0).sum(-2)
        s0 = e.sum(-1)
        s[nan] = np.nan
        s0 = np.where(nan, np.nan, s0)
        if red == "LogSumExp":
            return m[..., None] + np.log(s), None
        if red == "SumSoftMaxWeight":
            return s / s0[..., None], None
        return np.concatenate([m[..., None], s], -1), None
