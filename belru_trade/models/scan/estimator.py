"""Batch interrupted time series: the same ITS on every series of a panel, ranked."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from belru_trade._validation import (
    MAX_CHUNK_SIZE,
    check_choice,
    check_hac_lags,
    check_harmonics,
    check_int_range,
)
from belru_trade.errors import (
    InvalidArgumentError,
    MissingDependencyError,
    UnknownColumnError,
    ZeroFillWarning,
)
from belru_trade.models.its.design import (
    Design,
    build_design,
    coerce_series,
    log_offset,
    newey_west_lags,
)
from belru_trade.models.its.fit import FAMILIES, LOG_LINK
from belru_trade.models.scan.core import BatchFit, fit_batch_glm, fit_batch_ols
from belru_trade.models.scan.source import (
    READ_ROWS,
    DatasetSource,
    is_dataset,
    open_source,
    read_group,
)
from belru_trade.trade.selection import select

__all__ = ["ScanResults", "scan"]

logger = logging.getLogger(__name__)
ENGINES = ("numpy", "dask")
SCAN_ERRORS = ("hac", "model")
NEAR_SEPARATION = 1e-20  # min fitted mean / mean(y): a coefficient heading to infinity


@dataclass(frozen=True)
class ScanResults:
    """Results of :func:`scan` (immutable).

    Attributes
    ----------
    params, std_errors : pandas.DataFrame
        One row per series, one column per term (NaN where the series was not fitted).
    status : pandas.Series
        ``ok``, ``all_zero``, ``stopped`` (count families: from an intervention on, the flow
        averages below 1 % of its pre-intervention mean with fewer than half of the
        periods positive; the rule :func:`its` applies,
        see :mod:`belru_trade.models.its.stopped`), ``separated`` (another segment is all
        zero: the Poisson level change is infinite), ``sparse`` (fewer positive
        periods than parameters + 2, count families), ``near_separated`` (IRLS converged
        but some fitted mean is below 1e-20 times the series mean: a coefficient is
        diverging and its value is arbitrary), ``nonpositive`` (loglinear or negative
        counts), ``missing`` (NaN values), ``not_converged``.
    design : Design
    family, cov_type : str
    df_resid : float or None
        Student-t degrees of freedom (OLS families) or None (normal, GLM).
    dispersion : pandas.Series
        Pearson dispersion per series (count families) or residual variance (OLS).
    """

    params: pd.DataFrame
    std_errors: pd.DataFrame
    status: pd.Series
    design: Design
    family: str
    cov_type: str
    df_resid: float | None
    dispersion: pd.Series

    def summary(self) -> str:
        """Printable text: family, covariance and the number of series by status."""
        return repr(self)

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}: {v}" for k, v in self.status.value_counts().items())
        return (
            f"ITS scan ({self.family}, {self.cov_type}) of {len(self.status)} series ({counts}); "
            "use .rank() or .tidy()"
        )

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Long table of the intervention terms: series, term, estimate, ..., ratio columns."""
        terms = list(self.design.effect_terms)
        est = self.params[terms].stack().rename("estimate")
        se = self.std_errors[terms].stack().rename("std_error")
        table = pd.concat([est, se], axis=1).reset_index()
        table.columns = ["series", "term", "estimate", "std_error"]
        dist = stats.t(self.df_resid) if self.df_resid else stats.norm()
        q = dist.ppf(0.5 + level / 2)
        table["statistic"] = table["estimate"] / table["std_error"]
        table["p_value"] = 2 * dist.sf(np.abs(table["statistic"]))
        table["conf_low"] = table["estimate"] - q * table["std_error"]
        table["conf_high"] = table["estimate"] + q * table["std_error"]
        if self.family in LOG_LINK:
            for col, src in (("ratio", "estimate"), ("ratio_low", "conf_low")):
                table[col] = np.exp(table[src])
            table["ratio_high"] = np.exp(table["conf_high"])
        return table

    def rank(self, term: str | None = None, by: str = "statistic", level: float = 0.95):
        """Rows of ``term`` (default: first level change) sorted by ``by`` (most negative first).

        Series that could not be fitted are listed last with their status.
        """
        term = term or self.design.level_terms[0]
        check_choice("term", term, self.design.effect_terms)
        table = self.tidy(level=level)
        check_choice("by", by, [c for c in table.columns if c not in ("series", "term")])
        table = table[table["term"] == term].sort_values(by, kind="stable", na_position="last")
        table["status"] = self.status.reindex(table["series"]).to_numpy()
        return table.reset_index(drop=True)


def _wide_from_panel(
    panel: pd.DataFrame, by: Sequence[str], selector: dict | None, column: str
) -> pd.DataFrame:
    missing = [c for c in [*by, "period", column] if c not in panel.columns]
    if missing:
        raise UnknownColumnError(
            f"columns {missing} (by/column) are not in the panel; it has {list(panel.columns)}"
        )
    rows = select(panel, selector, empty="raise")
    wide = rows.pivot_table(index="period", columns=list(by), values=column, aggfunc="sum")
    wide.index = pd.PeriodIndex(wide.index)
    full = pd.period_range(wide.index.min(), wide.index.max(), freq=wide.index.freq)
    wide = wide.reindex(full)
    absent = int(wide.isna().to_numpy().sum())
    if absent:
        warnings.warn(
            f"{absent} series-period cells absent from the panel were set to zero",
            ZeroFillWarning,
            stacklevel=3,
        )
    if len(by) > 1:
        wide.columns = ["/".join(map(str, c)) for c in wide.columns]
    return wide.fillna(0.0)


def _coerce_wide(data: pd.DataFrame) -> pd.DataFrame:
    if data.shape[1] == 0:
        raise InvalidArgumentError("data has no series (no columns)")
    index = coerce_series(pd.Series(1.0, index=data.index), name="data").index
    try:
        values = data.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidArgumentError("data has non-numeric columns; expected numbers") from exc
    return pd.DataFrame(values, index=index, columns=data.columns.astype(str))


def _statuses(Y: np.ndarray, design: Design, family: str) -> np.ndarray:
    status = np.full(Y.shape[1], "ok", dtype=object)
    finite = np.isfinite(Y).all(axis=0)
    status[~finite] = "missing"
    Yf = np.where(np.isfinite(Y), Y, 0.0)
    if family == "loglinear":
        status[finite & (Yf <= 0).any(axis=0)] = "nonpositive"
    elif family in ("poisson", "quasipoisson"):
        from belru_trade.models.its.stopped import count_status

        status[finite & (Yf < 0).any(axis=0)] = "nonpositive"
        counts = count_status(Yf, design)
        status[status == "ok"] = counts[status == "ok"]
    status[finite & (Yf == 0).all(axis=0)] = "all_zero"
    return status


def _fit_chunk(
    X: np.ndarray, Y: np.ndarray, family: str, errors: str, lags: int, log_offset: Any
) -> BatchFit:
    if family in ("gaussian", "loglinear"):
        endog = (
            Y if family == "gaussian" else np.log(Y) - (0.0 if log_offset is None else log_offset)
        )
        return fit_batch_ols(X, endog, errors=errors, lags=lags)
    return fit_batch_glm(
        X, Y, log_offset=log_offset, quasi=family == "quasipoisson", errors=errors, lags=lags
    )


@contextmanager
def _dask_client(client: Any):
    """The given client, or a LocalCluster (2 worker processes) closed on exit."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise MissingDependencyError(
            "engine='dask' needs dask.distributed; install the extra: "
            "pip install 'belru_trade[dask]'"
        ) from exc
    if client is not None:
        yield client
        return
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True)
    own = Client(cluster)
    try:
        yield own
    finally:
        own.close()
        cluster.close()


def _run_dask(chunks: list[np.ndarray], args: tuple, client: Any) -> list[BatchFit]:
    with _dask_client(client) as dask_client:
        X, *rest = args
        X_remote = dask_client.scatter(X, broadcast=True)
        futures = [dask_client.submit(_fit_chunk, X_remote, Y, *rest, pure=False) for Y in chunks]
        return dask_client.gather(futures)


def _run_dask_source(source: DatasetSource, args: tuple, client: Any) -> list:
    """One task per read group: the worker reads its series from the dataset and fits them
    (the store path must be readable by the workers). Groups are cut so that every worker
    thread gets at least two tasks."""
    with _dask_client(client) as dask_client:
        threads = max(sum(dask_client.nthreads().values()), 1)
        per_task = -(-sum(source.chunk_rows) // (2 * threads))
        groups = source.groups(min(per_task, READ_ROWS))
        remote = dask_client.scatter((source, args), broadcast=True)
        futures = [dask_client.submit(_source_task, remote, g, pure=False) for g in groups]
        return [part for parts in dask_client.gather(futures) for part in parts]


def _source_task(shared: tuple, group: tuple):
    source, args = shared
    return _source_group(source, group, args)


def _combine(parts: list[BatchFit]) -> BatchFit:
    return BatchFit(
        params=np.concatenate([p.params for p in parts]),
        cov=np.concatenate([p.cov for p in parts]),
        converged=np.concatenate([p.converged for p in parts]),
        dispersion=np.concatenate([p.dispersion for p in parts]),
        noise_var=np.concatenate([p.noise_var for p in parts]),
        min_mean_ratio=np.concatenate([p.min_mean_ratio for p in parts]),
    )


def _fit_ok(X, Y, family, errors, lags, log_offset, engine, chunk_size, client) -> BatchFit:
    if Y.shape[1] == 0:  # no series to fit (all flagged)
        k = X.shape[1]
        empty = np.empty(0)
        return BatchFit(
            np.empty((0, k)), np.empty((0, k, k)), empty.astype(bool), empty, empty, empty
        )
    starts = range(0, Y.shape[1], chunk_size)
    chunks = [Y[:, s : s + chunk_size] for s in starts]
    args = (X, family, errors, lags, log_offset)
    if engine == "dask":
        return _combine(_run_dask(chunks, args, client))
    return _combine([_fit_chunk(X, chunk, family, errors, lags, log_offset) for chunk in chunks])


def scan(
    data: pd.DataFrame,
    interventions: Sequence[Any] | str,
    *,
    by: Sequence[str] = ("product",),
    selector: dict[str, Any] | None = None,
    column: str = "value",
    family: str = "quasipoisson",
    offset: pd.Series | None = None,
    exposure: pd.Series | None = None,
    seasonality: str | None = "auto",
    harmonics: int = 2,
    slope_change: bool = True,
    errors: str = "hac",
    hac_lags: int | None = None,
    engine: str = "numpy",
    chunk_size: int = 5000,
    client: Any = None,
) -> ScanResults:
    """Fit the same interrupted time series to every series of a panel at once.

    Parameters
    ----------
    data : pandas.DataFrame or BulkDataset
        A tidy panel (:mod:`belru_trade.trade.panel` columns; one series per value of
        ``by`` after ``selector``; absent cells become zero with a ZeroFillWarning), a wide
        frame (index = consecutive periods or dates, one column per series), or a handle on
        the bulk store (:func:`belru_trade.bulk.dataset`, filtered or not): its monthly
        series are read chunk by chunk straight from parquet
        (:mod:`belru_trade.models.scan.source`; ``selector`` holds
        :meth:`~belru_trade.store.bulk.BulkDataset.filter` arguments, ``column`` is
        ``'value'`` or ``'quantity'``).
    interventions, family, seasonality, harmonics, slope_change, hac_lags
        As in :func:`belru_trade.models.its.estimator.its`.
    by : sequence of str, default ('product',)
        Panel columns identifying a series (panel input only).
    selector : dict, optional
        Panel filter, e.g. ``{"reporter": "BE", "partner": "RU", "flow": "export"}``.
    column : str, default 'value'
    offset, exposure : pandas.Series, optional
        Log-scale offset, or positive raw-scale exposure (logged), shared by all series
        and aligned with the periods; as in :func:`belru_trade.models.its.its`.
    errors : {'hac', 'model'}
        Newey-West or model-based (Pearson-scaled for quasi-Poisson) covariance.
    engine : {'numpy', 'dask'}
        ``numpy`` solves all series in-process in chunks; ``dask`` sends the chunks to a
        ``dask.distributed`` cluster (``client``, or a LocalCluster created and closed here);
        with a bulk dataset each task reads its own chunk in the worker (no data in the
        client; the store must be on a file system the workers can read).
    chunk_size : int, default 5000
        Series per batched solve (memory ~ n * k^2 * chunk_size doubles); with a bulk
        dataset, values of ``by[0]`` read per chunk. 1 to 1,000,000.
    client : dask.distributed.Client, optional

    Returns
    -------
    ScanResults
        ``tidy()`` and ``rank()``; unfit series keep a status instead of raising.

    Raises
    ------
    InvalidArgumentError, ShortSeriesError
        Bad options, index or design (as in :func:`its`).
    MissingDependencyError
        ``engine='dask'`` without dask installed.

    Notes
    -----
    Same estimating equations as :func:`its`; all series share the design ``X`` so the
    OLS fits are one matrix solve and the Poisson fits run batched IRLS
    (:mod:`belru_trade.models.scan.core`). Estimates equal per-series statsmodels fits to
    1e-8 (tested). ARIMA errors are not available in the scan.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import belru_trade as bt
    >>> idx = pd.period_range("2012-01", "2016-12", freq="M")
    >>> rng = np.random.default_rng(0)
    >>> post = (idx >= pd.Period("2014-08", "M"))[:, None]
    >>> Y = rng.poisson(np.exp(5 - np.array([0.0, 1.0, 2.0]) * post))
    >>> wide = pd.DataFrame(Y, index=idx, columns=["a", "b", "c"]).astype(float)
    >>> res = bt.scan(wide, "2014-08", family="poisson", slope_change=False)
    >>> res.rank()["series"].tolist()
    ['c', 'b', 'a']
    """
    check_choice("family", family, FAMILIES)
    check_choice("errors", errors, SCAN_ERRORS)
    check_choice("engine", engine, ENGINES)
    check_int_range("chunk_size", chunk_size, 1, MAX_CHUNK_SIZE)
    check_harmonics(harmonics)
    source = wide = None
    if is_dataset(data):
        source = open_source(data, tuple(by), selector, column, chunk_size)
        index = source.index
    else:
        is_panel = "period" in data.columns
        wide = _wide_from_panel(data, by, selector, column) if is_panel else _coerce_wide(data)
        index = wide.index
    design = build_design(
        index,
        interventions,
        seasonality=seasonality,
        harmonics=harmonics,
        slope_change=slope_change,
    )
    lags = newey_west_lags(len(index)) if hac_lags is None else check_hac_lags(hac_lags, len(index))
    log_off = log_offset(offset, exposure, pd.Series(0.0, index=index))
    if log_off is not None:
        log_off = log_off[:, None]
        if family == "gaussian":
            raise InvalidArgumentError("offset is not allowed with family='gaussian'")
    X = design.X.to_numpy()
    if source is not None:
        args = (X, design, family, errors, lags, log_off)
        names, status, ok, fit = _scan_source(source, args, engine, client)
        return _results(names, len(index), design, status, ok, fit, family, errors, lags)
    Y = wide.to_numpy(dtype=float)
    status = _statuses(Y, design, family)
    ok = np.flatnonzero(status == "ok")
    fit = _fit_ok(X, Y[:, ok], family, errors, lags, log_off, engine, chunk_size, client)
    names = pd.Index(wide.columns.astype(str), name="series")
    return _results(names, len(wide), design, status, ok, fit, family, errors, lags)


def _source_group(source: DatasetSource, group: tuple, args: tuple) -> list:
    """Read one group of chunks from the dataset and fit each chunk (runs in a dask worker
    too)."""
    X, design, family, errors, lags, log_off = args
    parts = []
    for names, Y, present in read_group(source, group):
        status = _statuses(Y, design, family)
        ok = np.flatnonzero(status == "ok")
        fit = _fit_chunk(X, Y[:, ok], family, errors, lags, log_off)
        parts.append((names, status, ok, fit, Y.size - present))
    return parts


def _scan_source(source: DatasetSource, args: tuple, engine: str, client: Any):
    if engine == "dask":
        parts = _run_dask_source(source, args, client)
    else:
        parts = [part for g in source.groups() for part in _source_group(source, g, args)]
    offsets = np.cumsum([0] + [len(p[0]) for p in parts[:-1]])
    names = pd.Index([n for p in parts for n in p[0]], name="series")
    status = np.concatenate([p[1] for p in parts])
    ok = np.concatenate([p[2] + o for p, o in zip(parts, offsets, strict=True)])
    absent = sum(p[4] for p in parts)
    if absent:
        warnings.warn(
            f"{absent} series-period cells absent from the dataset were set to zero",
            ZeroFillWarning,
            stacklevel=3,
        )
    return names, status, ok, _combine([p[3] for p in parts])


def _results(names, nperiods, design, status, ok, fit, family, errors, lags) -> ScanResults:
    status[ok[~fit.converged]] = "not_converged"
    near = fit.converged & (fit.min_mean_ratio < NEAR_SEPARATION)
    status[ok[near]] = "near_separated"
    S, k = len(names), design.X.shape[1]
    params = np.full((S, k), np.nan)
    se = np.full((S, k), np.nan)
    good = fit.converged & ~near
    params[ok[good]] = fit.params[good]
    se[ok[good]] = np.sqrt(np.diagonal(fit.cov, axis1=1, axis2=2))[good]
    disp = np.full(S, np.nan)
    disp[ok] = fit.noise_var if family in ("gaussian", "loglinear") else fit.dispersion
    cols = design.X.columns
    label = f"Newey-West HAC ({lags} lags)" if errors == "hac" else "model-based"
    n_bad = int((status != "ok").sum())
    if n_bad:
        logger.info("scan: %d of %d series not fitted (see status)", n_bad, S)
    return ScanResults(
        params=pd.DataFrame(params, index=names, columns=cols),
        std_errors=pd.DataFrame(se, index=names, columns=cols),
        status=pd.Series(status.astype(str), index=names, name="status"),
        design=design,
        family=family,
        cov_type=label,
        df_resid=float(nperiods - k) if family in ("gaussian", "loglinear") else None,
        dispersion=pd.Series(disp, index=names, name="dispersion"),
    )
