"""Fits shared by analyses of one run: equal inputs fitted once, different inputs refitted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from belru_trade.analyses._common.its_rows import fit_its
from belru_trade.analyses._common.shared import fingerprint, shared


def _y(scale: float = 1.0, name: str = "flow") -> pd.Series:
    idx = pd.period_range("2012-01", "2016-12", freq="M")
    rng = np.random.default_rng(0)
    mu = np.where(idx >= pd.Period("2014-08", "M"), 250.0, 500.0) * scale
    return pd.Series(rng.poisson(mu).astype(float), index=idx, name=name)


def test_equal_contents_share_one_fit_and_different_contents_do_not():
    first, _ = fit_its(_y(), ["2014-08"])
    again, _ = fit_its(_y().copy(), ["2014-08"])  # another object, same contents
    assert again is first
    assert fit_its(_y(), ["2014-08"], harmonics=1)[0] is not first  # other options
    assert fit_its(_y(name="other"), ["2014-08"])[0] is not first  # name shows in results
    assert fit_its(_y(scale=2.0), ["2014-08"])[0] is not first


def test_fingerprint_sees_values_index_dtypes_and_columns():
    frame = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"]})
    assert fingerprint(frame) == fingerprint(frame.copy())
    assert fingerprint(frame) != fingerprint(frame.assign(a=[1.0, 2.5]))
    assert fingerprint(frame) != fingerprint(frame.astype({"b": "category"}))
    assert fingerprint(frame) != fingerprint(frame.rename(columns={"a": "c"}))
    assert fingerprint({"k": frame}) == fingerprint({"k": frame.copy()})


def test_memo_is_bounded_and_failures_are_not_kept():
    calls = []

    @shared(maxsize=2)
    def square(x):
        calls.append(x)
        if x < 0:
            raise ValueError(x)
        return x * x

    for x in (1, 2, 1, 3, 1, 2):
        square(x)
    # 1, 2 fitted; 1 shared; 3 evicts 2 (least recently used); 1 shared; 2 refitted
    assert calls == [1, 2, 3, 2]
    for _ in range(2):
        with pytest.raises(ValueError):
            square(-1)
    assert calls[-2:] == [-1, -1]
