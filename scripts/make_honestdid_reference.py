"""Regenerate tests/data/did/honestdid_rm_bounds.csv with the honestdid package (an
independent Python port of Rambachan & Roth's HonestDiD; its relative-magnitudes
identified set, ``honestdid.core._compute_IDset_DeltaRM``). Not run by the tests; run by hand
in an environment with ``pip install honestdid==0.1.1``::

    python scripts/make_honestdid_reference.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from honestdid.core import _compute_IDset_DeltaRM

rng = np.random.default_rng(20231)
rows = []
for case in range(6):
    n_pre, n_post = int(rng.integers(2, 6)), int(rng.integers(1, 5))
    beta = np.round(rng.normal(0, 0.3, n_pre + n_post), 4)
    for mbar in (0.0, 0.5, 1.0, 2.0):
        targets = {"average": np.full(n_post, 1 / n_post)}
        targets.update({f"event[{k}]": np.eye(n_post)[k] for k in range(n_post)})
        for name, l_vec in targets.items():
            out = _compute_IDset_DeltaRM(mbar, beta, l_vec, n_pre, n_post)
            rows.append(
                {
                    "case": case,
                    "n_pre": n_pre,
                    "n_post": n_post,
                    "beta": " ".join(map(str, beta)),
                    "mbar": mbar,
                    "target": name,
                    "lower": out["id_lb"],
                    "upper": out["id_ub"],
                }
            )
path = Path(__file__).resolve().parents[1] / "tests" / "data" / "did" / "honestdid_rm_bounds.csv"
pd.DataFrame(rows).to_csv(path, index=False, float_format="%.10g")
