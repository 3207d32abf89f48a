"""What each source of the embedded snapshot is, where it comes from, and its caveats.

The records are data, kept in ``belru_trade/data/snapshot_sources.json`` (one record per
source, in listing order) and read once through :mod:`belru_trade._registry_io`. They are
the provenance shipped with the data (``belru_trade/data/snapshot/``);
:func:`belru_trade.store.snapshot.provenance` returns them with build statistics added.

Examples
--------
>>> SOURCES["comext_totals"].provider, SOURCES["comtrade"].files[0]
('Eurostat', 'data/un_comtrade.csv')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from belru_trade._registry_io import read_json
from belru_trade.errors import DataValidationError

__all__ = ["SOURCES", "SourceInfo", "load_sources"]


@dataclass(frozen=True)
class SourceInfo:
    """Provenance record of one snapshot source."""

    name: str
    description: str
    provider: str
    dataset: str
    repository: str
    commit: str
    files: tuple[str, ...]
    retrieved: str
    provider_last_update: str
    licence: str
    concept: str
    caveats: tuple[str, ...]

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> SourceInfo:
        """Build a record from its JSON form; every field is required, no other is allowed.

        Raises
        ------
        DataValidationError
            A field is missing or unknown (the offending names are listed).
        """
        names = [f.name for f in fields(cls)]
        odd = sorted(set(record) ^ set(names))
        if odd:
            raise DataValidationError(
                "fields",
                f"snapshot source record {record.get('name')!r} must have exactly {names}",
                odd,
            )
        values = {**record, "files": tuple(record["files"]), "caveats": tuple(record["caveats"])}
        return cls(**values)

    def as_dict(self) -> dict:
        """Plain dict (JSON-ready)."""
        out = asdict(self)
        out["files"] = list(self.files)
        out["caveats"] = list(self.caveats)
        return out


def load_sources(name: str = "snapshot_sources.json") -> dict[str, SourceInfo]:
    """Read the source records from the package data, keyed by name in file order."""
    records = [SourceInfo.from_dict(r) for r in read_json(name)["sources"]]
    return {record.name: record for record in records}


SOURCES: dict[str, SourceInfo] = load_sources()
