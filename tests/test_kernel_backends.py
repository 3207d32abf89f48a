"""The numpy loops of the fixed-effect fits against the compiled (numba) ones.

Both modules must expose the same functions with the same arguments, and every function must
give the same outputs and the same in-place updates on the same inputs. Which one a fit uses
depends on its size; small fits must not import numba at all.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from belru_trade.models.hdfe import _backend, _kernels, _kernels_numpy
from belru_trade.models.hdfe.absorb import FixedEffects, compact_codes


def test_both_modules_expose_the_same_functions_and_arguments():
    assert _kernels.__all__ == _kernels_numpy.__all__
    for name in _kernels.__all__:
        compiled = getattr(_kernels, name).py_func
        assert inspect.signature(compiled).parameters.keys() == (
            inspect.signature(getattr(_kernels_numpy, name)).parameters.keys()
        ), name


def _problem(seed: int, n: int = 500, k: int = 3):
    rng = np.random.default_rng(seed)
    raw = [rng.integers(0, 30, n), rng.integers(0, 45, n), rng.integers(0, 6, n)]
    fe = FixedEffects([compact_codes(c)[0] for c in raw])
    codes, offsets = fe.packed()
    r = np.ascontiguousarray(rng.normal(size=(n, k)) + raw[0][:, None] * 0.2)
    w = rng.uniform(0.2, 3.0, n)
    return rng, codes, offsets, r, w


def test_group_weights_and_fitted_values_agree():
    rng, codes, offsets, r, w = _problem(0)
    w[:3] = 0.0
    for mod in (_kernels, _kernels_numpy):
        np.testing.assert_allclose(
            mod.inverse_group_weights(codes, offsets, w),
            _kernels.inverse_group_weights(codes, offsets, w),
            rtol=1e-13,
        )
    coef = rng.normal(size=(int(offsets[-1]), r.shape[1]))
    a, b = r.copy(), r.copy()
    _kernels.subtract_fitted(a, codes, offsets, coef)
    _kernels_numpy.subtract_fitted(b, codes, offsets, coef)
    np.testing.assert_allclose(a, b, atol=1e-13)


@pytest.mark.parametrize("warm", [False, True])
def test_demean_block_agrees_and_keeps_the_identity(warm):
    rng, codes, offsets, x, w = _problem(1)
    inv = _kernels.inverse_group_weights(codes, offsets, w)
    start = rng.normal(size=(int(offsets[-1]), x.shape[1])) if warm else None
    out = {}
    for mod in (_kernels, _kernels_numpy):
        coef = np.zeros((int(offsets[-1]), x.shape[1])) if start is None else start.copy()
        r = x.copy()
        mod.subtract_fitted(r, codes, offsets, coef)
        sweeps = mod.demean_block(r, w, codes, offsets, inv, coef, np.full(3, 1e-13), 10_000)
        assert sweeps > 2
        out[mod.__name__] = (r, coef)
        # x = r + fitted(coef), and r has weighted mean zero within every level
        back = r.copy()
        mod.subtract_fitted(back, codes, offsets, -coef)
        np.testing.assert_allclose(back, x, atol=1e-10)
        for q in range(codes.shape[0]):
            sums = np.stack([np.bincount(codes[q], weights=w * r[:, j]) for j in range(3)], 1)
            np.testing.assert_allclose(sums, 0.0, atol=1e-9)
    (ra, _), (rb, _) = out.values()
    np.testing.assert_allclose(ra, rb, atol=1e-10)


def test_demean_block_reports_non_convergence_alike():
    _, codes, offsets, x, w = _problem(2)
    inv = _kernels.inverse_group_weights(codes, offsets, w)
    for mod in (_kernels, _kernels_numpy):
        coef = np.zeros((int(offsets[-1]), x.shape[1]))
        assert mod.demean_block(x.copy(), w, codes, offsets, inv, coef, np.full(3, 1e-15), 3) == -1


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("offset", [False, True])
def test_irls_loops_agree(weighted, offset):
    rng = np.random.default_rng(3)
    n, k = 400, 3
    y = rng.poisson(3.0, n).astype(float)
    wu = rng.uniform(0.5, 2.0, n) if weighted else np.zeros(0)
    off = rng.normal(scale=0.3, size=n) if offset else np.zeros(0)
    eta = rng.normal(scale=0.5, size=n) + 1.0
    mu = np.exp(eta)
    block = rng.normal(size=(n, k + 1))
    beta = rng.normal(size=k)
    scale = rng.uniform(0.5, 2.0, k)
    results = []
    for mod in (_kernels, _kernels_numpy):
        z_prev, r, w, new_eta = np.full(n, 0.3), block.copy(), np.empty(n), np.empty(n)
        sd = mod.irls_prepare(y, wu, off, eta, mu, z_prev, r, w)
        mod.eta_update(z_prev, r, beta, off, new_eta)
        results.append(
            [
                sd,
                z_prev,
                r,
                w,
                new_eta,
                mod.weighted_gram(r, w),
                mod.scores(r, scale, y, wu, mu),
                np.array(mod.deviance_sums(y, wu, eta, mu)),
                np.array(mod.poisson_constants(y, wu)),
            ]
        )
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_the_threshold_chooses_the_module():
    assert _backend.kernels_for(_backend.NUMPY_MAX_OBS) is _kernels_numpy
    assert _backend.kernels_for(_backend.NUMPY_MAX_OBS + 1) is _kernels


_FIT = """
import sys
import numpy as np, pandas as pd
import belru_trade as bt
from belru_trade.models.hdfe import _backend
_backend.NUMPY_MAX_OBS = {limit}
rng = np.random.default_rng(0)
df = pd.DataFrame({{"i": rng.integers(0, 20, 800), "t": rng.integers(0, 8, 800),
                   "x": rng.normal(size=800)}})
df["y"] = rng.poisson(np.exp(0.3 * df["x"])).astype(float)
bt.ppml("y ~ x | i + t", df)
bt.ols("y ~ x | i + t", df)
print("numba" in sys.modules)
"""


@pytest.mark.parametrize(("limit", "imported"), [(50_000, "False"), (100, "True")])
def test_small_fits_do_not_import_numba(limit, imported):
    code = textwrap.dedent(_FIT.format(limit=limit))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == imported
