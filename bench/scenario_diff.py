"""Bench: diffing a what-if scenario on the demo twin, against one plain run of the queries.

Usage::

    .venv/bin/python bench/scenario_diff.py [STORE]

STORE defaults to ``$TWIN_STORE`` or ``layers/``; when it holds no twin, the Boli demo is
built into a temporary folder first (not timed). The scenario proposes a 100 m residential
tower on a residential parcel with ``max_far`` 2.5 and raises the flood level by 2 m.

Printed figures:

* ``baseline``: one plain run of every diffed query on the base (``QueryInputs(store)``), the
  floor a diff cannot go under (it runs the changed queries twice);
* ``diff``: read the base, apply the scenario, run every query on both sides, compare;
* the ratio diff / baseline, and the target (diff ≤ 5 s).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from twin.query.inputs import QueryInputs  # noqa: E402
from twin.query.registry import coerce_params, queries  # noqa: E402
from twin.scenario import FloodLevel, Scenario, apply, load_base  # noqa: E402
from twin.scenario.diff import diff  # noqa: E402
from twin.scenario.propose import propose_tower  # noqa: E402
from twin.store import default_store_url, open_store  # noqa: E402

TARGET_S = 5.0


def _store(argv):
    url = argv[1] if len(argv) > 1 else default_store_url()
    store = open_store(url)
    if store.layers_of_kind("parcel") and store.layers_of_kind("building"):
        return store, None
    from twin.demo import build

    tmp = tempfile.TemporaryDirectory(prefix="twin-bench-")
    print(f"no twin in {url}: building the demo in {tmp.name} (not timed)")
    build(Path(tmp.name) / "data", Path(tmp.name) / "layers")
    return open_store(Path(tmp.name) / "layers"), tmp




def _tower_scenario(store, base_level: float) -> tuple[Scenario, str]:
    """The bench scenario: the tower of :func:`propose_tower` and a flood 2 m higher."""
    tower, parcel = propose_tower(store)
    return Scenario("bench-tower", [tower, FloodLevel(level_m=base_level + 2.0)]), parcel


def main(argv) -> int:
    """Run the bench and print the figures."""
    store, _tmp = _store(argv)
    base_level = 3.0
    params = {"flood": {"level_m": base_level}}
    scenario, parcel = _tower_scenario(store, base_level)
    specs = [s for s in queries() if s.diff]

    # Warm-up (imports, pvlib tables), not timed.
    diff(load_base(store), apply(load_base(store), scenario), params=params,
         queries=["indicators"])

    t0 = time.perf_counter()
    layers = QueryInputs(store)
    per = {}
    for spec in specs:
        t = time.perf_counter()
        try:
            spec.run(layers, **coerce_params(spec, params.get(spec.name, {})))
        except Exception as exc:  # noqa: BLE001 - a bench reports and goes on
            print(f"  baseline {spec.name}: {exc}")
        per[spec.name] = time.perf_counter() - t
    baseline = time.perf_counter() - t0

    runs = []
    for _ in range(2):
        t0 = time.perf_counter()
        base = load_base(store)
        t_read = time.perf_counter() - t0
        view = apply(base, scenario)
        t_apply = time.perf_counter() - t0 - t_read
        result = diff(base, view, params=params)
        runs.append((time.perf_counter() - t0, t_read, t_apply, result))
    total, t_read, t_apply, result = min(runs, key=lambda r: r[0])

    rows = sum(info.rows for info in store.layers())
    print(f"store {store.url}: {len(store.layers())} layers, {rows} rows")
    print(f"scenario: 100 m tower on parcel {parcel} + flood level {base_level} → "
          f"{base_level + 2} m")
    print(f"baseline  one run of {len(specs)} queries on the base: {baseline:.3f} s  "
          + ", ".join(f"{k} {v:.3f}" for k, v in per.items()))
    q = {k.split("/")[0]: 0.0 for k in result.timings if "/" in k}
    for k, v in result.timings.items():
        if "/" in k:
            q[k.split("/")[0]] += v
    print(f"diff      read {t_read:.3f} s + apply {t_apply:.3f} s + queries/compare "
          f"{total - t_read - t_apply:.3f} s = {total:.3f} s  ("
          + ", ".join(f"{k} {v:.3f}" for k, v in q.items()) + ")")
    print(f"ratio     diff / baseline = {total / baseline:.2f}x   target diff ≤ {TARGET_S:.0f} s: "
          f"{'OK' if total <= TARGET_S else 'MISSED'}")
    changes = result.status_changes
    print(f"status changes: {len(changes)}; parcels {result.changed_ids('parcel')[:8]}; "
          f"buildings newly flagged: "
          f"{int(np.sum(changes['change'].isin(['worse']) & (changes['kind'] == 'building')))}")
    for name, reason in result.skipped.items():
        print(f"  skipped {name}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
