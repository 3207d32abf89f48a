"""bt.scan on the bulk store: equal to the scan of the same panel in memory, chunk by chunk,
and on a dask LocalCluster whose workers read the parquet parts themselves.

The bulk file is generated here (v2 layout): monthly Poisson counts for a few products,
with a level drop for some products from 2014-08, spread over statistical procedures (so
the store has several rows per series and month) and with some months absent.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import belru_trade as bt
from belru_trade.errors import InvalidArgumentError, ZeroFillWarning

HEADER = (
    "REPORTER,PARTNER,TRADE_TYPE,PRODUCT_NC,PRODUCT_SITC,PRODUCT_CPA21,PRODUCT_CPA22,"
    "PRODUCT_BEC,PRODUCT_BEC5,PRODUCT_SECTION,FLOW,STAT_PROCEDURE,SUPPL_UNIT,PERIOD,"
    "VALUE_EUR,VALUE_NAC,QUANTITY_KG,QUANTITY_SUPPL_UNIT"
)
PRODUCTS = [f"0808{i:04d}" for i in range(9)]


def _write(path: Path) -> Path:
    rng = np.random.default_rng(7)
    months = pd.period_range("2012-01", "2016-12", freq="M")
    lines = [HEADER]
    for reporter in ("BE", "NL"):
        for j, product in enumerate(PRODUCTS):
            drop = 1.2 if j % 3 == 0 else 0.0
            for p in months:
                if rng.random() < 0.05:
                    continue  # absent month: zero-filled by both paths
                mean = np.exp(6 + 0.3 * np.sin(p.month) - drop * (p >= pd.Period("2014-08", "M")))
                for stat in ("1", "4"):
                    value = str(rng.poisson(mean / 2))
                    fields = [reporter, "RU", "E", product, "05799", "0113", "0113", "112",
                              "111100", "00", "2", stat, "NO_SU", p.strftime("%Y%m"), value,
                              value, "10", "0"]  # fmt: skip
                    lines.append(",".join(fields))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("bulkscan")
    bt.bulk.ingest(_write(root / "full_v2_201612.dat"), store=root / "s")
    return root / "s"


def _scan(data, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroFillWarning)
        return bt.scan(data, "2014-08", family="quasipoisson", **kwargs)


def _assert_same(a, b):
    pd.testing.assert_series_equal(a.status, b.status)
    pd.testing.assert_frame_equal(a.params, b.params, rtol=1e-10, atol=1e-12)
    pd.testing.assert_frame_equal(a.std_errors, b.std_errors, rtol=1e-10, atol=1e-12)


def test_dataset_scan_equals_panel_scan_chunk_by_chunk(store):
    handle = bt.bulk.dataset(store)
    selector = {"reporter": "BE", "partner": "RU", "flow": "export"}
    panel = bt.bulk.panel(reporter="BE", partner="RU", flow="export", store=store)
    expected = _scan(panel, by=("product",))
    ours = _scan(handle, selector=selector, chunk_size=4)  # 3 chunks of products
    assert list(ours.status.index) == PRODUCTS
    _assert_same(ours, expected)
    # a filtered handle gives the same as a selector; the drop is found for products 0, 3, 6
    _assert_same(_scan(handle.filter(**selector)), expected)
    ranked = ours.rank()["series"].head(3)
    assert set(ranked) == {PRODUCTS[0], PRODUCTS[3], PRODUCTS[6]}


def test_read_groups_split_rows_like_one_scan_per_chunk(store, monkeypatch):
    from belru_trade.models.scan import source as scan_source

    handle = bt.bulk.dataset(store).filter(reporter="BE", partner="RU", flow="export")
    src = scan_source.open_source(handle, ("product",), None, "value", 2)
    assert len(src.chunks) == 5 and sum(src.chunk_rows) == handle.count_rows()
    # chunks of two products hold about 228 rows: one per 300-row group, four per 1,000
    groups = src.groups(300)
    assert [i for g in groups for i in g] == list(range(5)) and len(groups) == 5
    groups = src.groups(1000)
    assert [len(g) for g in groups] == [4, 1]
    grouped = [part for g in groups for part in scan_source.read_group(src, g)]
    for values, (names, Y, present) in zip(src.chunks, grouped, strict=True):
        alone = scan_source.read_chunk(src, values)
        assert names == alone[0] == list(values)
        np.testing.assert_array_equal(Y, alone[1])
        assert present == alone[2]
    # the whole scan does not depend on the group size
    expected = _scan(handle, chunk_size=2)
    monkeypatch.setattr(scan_source, "READ_ROWS", 300)
    _assert_same(_scan(handle, chunk_size=2), expected)


def test_dataset_scan_by_two_columns_and_zero_fill_warning(store):
    handle = bt.bulk.dataset(store).filter(partner="RU")
    panel = bt.bulk.panel(partner="RU", store=store)
    expected = _scan(panel, by=("reporter", "product"))
    ours = _scan(handle, by=("reporter", "product"), chunk_size=1)
    assert len(ours.status) == 2 * len(PRODUCTS)
    _assert_same(ours, expected)
    with pytest.warns(ZeroFillWarning, match="absent from the dataset"):
        bt.scan(handle, "2014-08", by=("reporter", "product"))


def test_dataset_scan_rejects_unknown_columns(store):
    handle = bt.bulk.dataset(store)
    with pytest.raises(InvalidArgumentError, match="by="):
        bt.scan(handle, "2014-08", by=("hs2",))
    with pytest.raises(InvalidArgumentError, match="column="):
        bt.scan(handle, "2014-08", column="unit_value")
    with pytest.raises(InvalidArgumentError, match="no rows"):
        bt.scan(handle.filter(reporter="DE"), "2014-08")


def test_dask_engine_on_local_cluster_equals_numpy(store):
    distributed = pytest.importorskip("dask.distributed")
    handle = bt.bulk.dataset(store).filter(partner="RU")
    expected = _scan(handle, by=("reporter", "product"), chunk_size=1)
    with (
        distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True) as cluster,
        distributed.Client(cluster) as client,
    ):
        ours = _scan(handle, by=("reporter", "product"), chunk_size=1, engine="dask", client=client)
    _assert_same(ours, expected)
