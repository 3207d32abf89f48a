"""Columns built batch by batch from Arrow arrays with differing dictionaries and nulls."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from belru_trade.store._batch_columns import CodeColumn, NumberColumn


def _dict(indices: list[int | None], values: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(indices, pa.int32()), pa.array(values))


def test_codes_across_batches_with_their_own_dictionaries():
    column = CodeColumn(7)
    column.add(_dict([1, 0, None], ["BE", "NL", "unused"]))  # NL, BE, missing
    column.add(_dict([0, 0], ["DE", "zz-unused"]))  # DE, DE
    column.add(pa.array(["NL", None]))  # plain strings
    cat = column.categorical()
    assert list(cat.categories) == ["BE", "DE", "NL"]  # only what rows use, sorted
    assert [None if isinstance(v, float) else v for v in cat] == [
        "NL", "BE", None, "DE", "DE", "NL", None
    ]  # fmt: skip


def test_optional_strings_share_one_object_per_value():
    column = CodeColumn(4)
    column.add(pa.array(["kg", None]))
    column.add(_dict([0, None], ["kg"]))
    out = column.strings()
    assert out.tolist() == ["kg", None, "kg", None]
    assert out[0] is out[2]


def test_numbers_keep_missing_as_nan_and_an_empty_read_is_empty():
    values = NumberColumn(5, np.float64)
    values.add(pa.array([1.5, None]))
    values.add(pa.array([2.0, 3.0, None]))
    np.testing.assert_array_equal(values.array(), [1.5, np.nan, 2.0, 3.0, np.nan])
    empty = CodeColumn(0)
    assert len(empty.categorical()) == 0 and len(empty.strings()) == 0
    assert NumberColumn(0, np.int64).array().shape == (0,)
