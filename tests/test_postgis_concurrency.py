"""The PostGIS store under concurrent importers and killed writers (real processes, real
server): every version of four simultaneous importers is recorded, and a writer killed with
SIGKILL at any point of its import leaves no partial version and no stray table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid

import geopandas as gpd
import numpy as np
import psycopg
import pytest
import shapely

from twin.io.report import LayerData
from twin.store.postgis import data_sha256

pytestmark = pytest.mark.postgis

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A child process: builds `rows` synthetic buildings and commits them `rounds` times
# (or forever when rounds is 0), after waiting for the go-file when one is given.
CHILD = textwrap.dedent("""
    import os, sys, time
    import numpy as np, geopandas as gpd, pandas as pd, shapely
    from twin.io.report import LayerData
    from twin.store.postgis import PostGISStore

    url, layer, rows, rounds, go, tag = sys.argv[1:7]
    rows, rounds = int(rows), int(rounds)
    rng = np.random.default_rng(rows)
    x = 491000 + rng.uniform(0, 5000, rows)
    y = 3954000 + rng.uniform(0, 4000, rows)
    frame = gpd.GeoDataFrame({
        "id": [f"{tag}-{i}" for i in range(rows)], "name": ["楼"] * rows, "use": ["R"] * rows,
        "height_m": np.full(rows, 10.0), "floors": pd.array(np.full(rows, 3), dtype="Int64"),
        "base_elev_m": np.zeros(rows), "gfa_m2": np.full(rows, 300.0),
        "source": [tag] * rows, "ifc_guid": pd.array([None] * rows, dtype="string"),
    }, geometry=shapely.box(x, y, x + 10, y + 10), crs="EPSG:4549")
    store = PostGISStore(url)
    if go != "-":
        open(f"{go}.{tag}", "w").close()  # ready
    while go != "-" and not os.path.exists(go):
        time.sleep(0.01)
    n = 0
    while rounds == 0 or n < rounds:
        n += 1
        store.commit([LayerData(layer, "building", frame)], report={"source": tag},
                     note=f"{tag} round {n}")
""")


def _child(url: str, layer: str, rows: int, rounds: int, go: str, tag: str,
           app: str | None = None) -> subprocess.Popen:
    if app:
        url = f"{url}&application_name={app}"
    return subprocess.Popen([sys.executable, "-c", CHILD, url, layer, str(rows), str(rounds),
                             go, tag], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _backend(conn, app: str):
    """(pid, state, wait_event_type, wait_event, query) of the child's server session."""
    return conn.execute("SELECT pid, state, wait_event_type, wait_event, query "
                        "FROM pg_stat_activity WHERE application_name = %s", (app,)).fetchone()


def _wait_until(predicate, timeout: float, what: str, procs=()):
    """Poll ``predicate`` until it is truthy; a child that exits first fails the test."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        for proc in procs:
            if proc.poll() is not None:
                raise AssertionError(f"a child exited ({proc.returncode}) while waiting for "
                                     f"{what}: {proc.stderr.read()[-2000:]}")
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def _stray_tables(store) -> list[str]:
    with psycopg.connect(store._dsn) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (store.data_schema,))}
        known = {r[0] for r in conn.execute(f'SELECT table_name FROM "{store.schema}".versions')}
    return sorted(tables - known)


def test_four_processes_import_at_once_and_every_version_is_recorded(pg_store, tmp_path):
    # the twin's schema does not exist yet: the four also race to create it
    go = tmp_path / "go"
    rounds = 3
    procs = [_child(pg_store.url, "building", 200 + k, rounds, str(go), f"w{k}")
             for k in range(4)]
    _wait_until(lambda: all((tmp_path / f"go.w{k}").exists() for k in range(4)), 120,
                "the four importers to be ready", procs)
    go.touch()  # all four start committing at once
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
    versions = pg_store.versions("building")
    assert [v.version for v in versions] == list(range(1, 4 * rounds + 1))
    assert sorted(v.note for v in versions) == sorted(
        f"w{k} round {n}" for k in range(4) for n in range(1, rounds + 1))
    for v in versions:  # each version is whole: its rows are one worker's file
        frame = pg_store.read("building", version=v.version)
        worker = int(v.note[1])
        assert len(frame) == v.rows == 200 + worker
        assert set(frame["source"]) == {f"w{worker}"}
        assert data_sha256(frame) == v.sha256
    assert pg_store.current_version("building") == 4 * rounds
    assert _stray_tables(pg_store) == []


def _frame(rows: int, tag: str) -> gpd.GeoDataFrame:
    import pandas as pd

    x = 491000 + np.arange(rows) * 20.0
    return gpd.GeoDataFrame({
        "id": [f"{tag}-{i}" for i in range(rows)], "name": ["楼"] * rows, "use": ["R"] * rows,
        "height_m": np.full(rows, 10.0), "floors": pd.array(np.full(rows, 3), dtype="Int64"),
        "base_elev_m": np.zeros(rows), "gfa_m2": np.full(rows, 300.0),
        "source": [tag] * rows, "ifc_guid": pd.array([None] * rows, dtype="string"),
    }, geometry=shapely.box(x, 3954000, x + 10, 3954010), crs="EPSG:4549")


def test_sigkill_during_copy_leaves_no_partial_version(pg_store):
    pg_store.commit([LayerData("building", "building", _frame(5, "base"))])
    app = f"twin-kill-{uuid.uuid4().hex[:8]}"
    # the child commits 60k-row versions in a loop; it is killed while a COPY streams rows
    proc = _child(pg_store.url, "building", 60_000, 0, "-", "k", app=app)
    with psycopg.connect(pg_store._dsn, autocommit=True) as conn:
        try:
            row = _wait_until(
                lambda: (lambda r: r if r and r[4].startswith("COPY") and r[1] == "active"
                         else None)(_backend(conn, app)),
                120, "the child's COPY", [proc])
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        pid = row[0]
        _wait_until(lambda: conn.execute("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = %s",
                                         (pid,)).fetchone()[0], 60, "the server to end the session")
    versions = pg_store.versions("building")
    assert [v.version for v in versions] == list(range(1, len(versions) + 1))
    for v in versions[1:]:  # every recorded version is complete
        assert v.rows == 60_000 and len(pg_store.read("building", version=v.version,
                                                      columns=["id"])) == 60_000
    assert _stray_tables(pg_store) == []
    nxt = pg_store.commit([LayerData("building", "building", _frame(2, "after"))])
    assert nxt == {"building": len(versions) + 1}


def test_sigkill_after_the_data_is_written_leaves_nothing(pg_store):
    """The child has COPYed its rows and waits for the layer lock (held here); killed
    there, its whole transaction, data tables included, is gone."""
    pg_store.commit([LayerData("building", "building", _frame(5, "base"))])
    before = [v.to_dict() for v in pg_store.versions("building")]
    app = f"twin-kill-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_store._dsn) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                       (f"twin:{pg_store.schema}:layer:building",))
        proc = _child(pg_store.url, "building", 2_000, 1, "-", "k", app=app)
        with psycopg.connect(pg_store._dsn, autocommit=True) as watch:
            try:
                row = _wait_until(lambda: (lambda r: r if r and r[2] == "Lock"
                                           and r[3] == "advisory" else None)(_backend(watch, app)),
                                  120, "the child to wait for the layer lock", [proc])
                # its new data table (invisible to others) is held by its open transaction
                assert watch.execute("SELECT count(*) FROM pg_locks WHERE pid = %s "
                                     "AND locktype = 'relation' AND mode = 'AccessExclusiveLock'",
                                     (row[0],)).fetchone()[0] > 0
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
            holder.rollback()  # release the lock: the orphan session now finds its client gone
            _wait_until(lambda: watch.execute(
                "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = %s",
                (row[0],)).fetchone()[0], 60, "the server to end the session")
    assert [v.to_dict() for v in pg_store.versions("building")] == before
    assert _stray_tables(pg_store) == []
    assert pg_store.commit([LayerData("building", "building", _frame(2, "after"))]) == {
        "building": 2}
