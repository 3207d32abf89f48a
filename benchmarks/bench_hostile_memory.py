"""Peak memory of one fetch against a hostile local server (huge body, gzip bomb).

Each case runs one ``Transport.send`` in a fresh interpreter and reports its peak resident
set size (``resource.getrusage``) before and after the request, with the outcome. The server
(tests/http_fault_server.py, on 127.0.0.1) streams the huge body chunk by chunk, so only the
client's memory is measured.

Run::

    .venv/bin/python benchmarks/bench_hostile_memory.py
    .venv/bin/python benchmarks/bench_hostile_memory.py --site DIR   # another installed copy

``--site`` puts an installed copy of belru_trade first on the child's path (used to measure
the version before the size caps). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.http_fault_server import FaultServer, gzip_bomb, reply, stream  # noqa: E402

MB = 1024 * 1024
CHILD = """
import json, resource, sys
from belru_trade.fetchers.http import RetryPolicy, Transport
from belru_trade.fetchers.result import PlannedRequest
caps = json.loads(sys.argv[2])
policy = RetryPolicy(max_retries=0, timeout=(10.0, 60.0), **caps)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    body = Transport(policy=policy).send(PlannedRequest(sys.argv[1], (), "eurostat")).body
    outcome = f"read {len(body):,} bytes"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {str(exc)[:90]}"
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_kb": before, "peak_kb": peak, "outcome": outcome}))
"""

CASES = [
    ("400 MB body, no Content-Length", lambda: stream(400 * MB, announce=False), {}),
    ("400 MB body, no Content-Length", lambda: stream(400 * MB, announce=False),
     {"max_bytes": 16 * MB}),
    ("400 MB body, announced", lambda: stream(400 * MB), {"max_bytes": 64 * MB}),
    ("gzip bomb 1.5 GB (magic bytes)", lambda: reply(200, BOMB[0]), {}),
    ("gzip bomb 1.5 GB (Content-Encoding)", lambda: reply(200, BOMB[0], Content_Encoding="gzip"),
     {}),
    ("gzip bomb 1.5 GB (magic bytes)", lambda: reply(200, BOMB[0]),
     {"max_bytes": 16 * MB, "max_decoded_bytes": 16 * MB}),
]  # fmt: skip
BOMB: list[bytes] = []


def run(site: str | None) -> None:
    BOMB.append(gzip_bomb(1536 * MB))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (site, env.get("PYTHONPATH")) if p)
    print(f"gzip bomb: {len(BOMB[0]):,} bytes inflating to {1536 * MB:,}\n")
    print("| case | caps | outcome | peak RSS MB | growth MB |")
    print("|---|---|---|---|---|")
    with FaultServer() as server:
        for name, action, caps in CASES:
            server.script("/big", action())
            done = subprocess.run(
                [sys.executable, "-c", CHILD, f"{server.url}/big", json.dumps(caps)],
                capture_output=True, text=True, timeout=600, env=env, cwd="/",
            )  # fmt: skip
            if done.returncode:
                print(f"| {name} | {caps or 'defaults'} | child failed: {done.stderr[-200:]} |")
                continue
            m = json.loads(done.stdout)
            shown = {k: f"{v // MB} MiB" for k, v in caps.items()} or "defaults"
            peak, grown = m["peak_kb"] / 1024, (m["peak_kb"] - m["before_kb"]) / 1024
            print(f"| {name} | {shown} | {m['outcome']} | {peak:.0f} | {grown:.0f} |")
            server.scripts.clear()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", help="folder of an installed belru_trade to measure instead")
    run(parser.parse_args().site)
