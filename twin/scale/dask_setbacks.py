"""``setbacks`` over spatially partitioned buildings with dask-geopandas on a local cluster.

City-scale batch analysis straight from the embedded store's files, no server needed:

1. :func:`current_files` asks the embedded store for the GeoParquet file of each layer's
   current version, its sha256 checked (the files are plain GeoParquet 1.1 with a bbox
   covering column, so any engine reads them: dask-geopandas, Apache Sedona, DuckDB
   spatial, GDAL).
2. :func:`partition_layer` spatially shuffles a layer (Hilbert curve) into ``npartitions``
   GeoParquet files, each holding buildings that are near each other, and records each
   partition's extent.
3. :func:`dask_setbacks` sends the small reference layers (rivers, roads, with their
   required clear distances, read through the store by
   :func:`twin.query.setbacks.setback_references`, the query's own rule) to every worker,
   skips partitions whose extent is farther than the largest required
   distance from every reference, and runs :func:`twin.query.setbacks.find_violations` on
   each remaining partition in parallel. Each building is checked in exactly one partition,
   and the rule is per building, so the result is the same as the embedded ``setbacks``.

Run it: ``python -m twin.scale.dask_setbacks --store layers --partitions 8 --workers 2``.

Example
-------
>>> from dask.distributed import Client, LocalCluster
>>> with LocalCluster(n_workers=2) as cluster, Client(cluster) as client:  # doctest: +SKIP
...     table = dask_setbacks("layers", partitions=8)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import shapely

from ..errors import StoreError
from ..query.common import text
from ..query.inputs import QueryInputs
from ..query.setbacks import SKIP_ROAD_CLASSES, find_violations, setback_references

__all__ = ["current_files", "partition_layer", "dask_setbacks", "VIOLATION_COLUMNS"]

VIOLATION_COLUMNS = ["building_id", "rule", "ref_id", "distance_m", "required_m"]


def _store(root):
    """The embedded store at ``root`` (a folder, or a store that keeps its data in files)."""
    from ..store import ParquetStore
    from ..store.base import FileBacked, Store

    if not isinstance(root, Store):
        store = ParquetStore(root)
        if not store.catalog_path.exists():
            raise StoreError("no catalog.json: not a twin store folder", path=store.root)
        return store
    if not isinstance(root, FileBacked):
        raise StoreError(f"dask setbacks reads GeoParquet files; a {type(root).__name__} "
                         "keeps none", hint="copy the twin into a folder with "
                                            "`twin store copy` first")
    return root


def current_files(root, kind: str | None = None) -> dict[str, Path]:
    """``{layer: GeoParquet path of its current version}`` of the embedded store at
    ``root`` (only layers of ``kind`` when given), each file's sha256 checked."""
    store = _store(root)
    names = store.layers_of_kind(kind) if kind is not None else \
        [i.name for i in store.layers()]
    return {name: store.data_file(name) for name in sorted(names)}


def partition_layer(path, out_dir, *, partitions: int = 8):
    """Spatially shuffle one GeoParquet file into ``partitions`` files under ``out_dir``
    and return the partitioned dask-geopandas frame read back (with its extents)."""
    import dask_geopandas

    ddf = dask_geopandas.read_parquet(str(path))
    shuffled = ddf.spatial_shuffle(by="hilbert", npartitions=partitions,
                                   shuffle_method="tasks")  # p2p loses the geometry dtype
    shuffled.to_parquet(str(out_dir), write_index=True, schema=None)
    back = dask_geopandas.read_parquet(str(out_dir))
    back.calculate_spatial_partitions()
    return back


def _partition_violations(part: gpd.GeoDataFrame, references) -> pd.DataFrame:
    """The violations of the buildings of one partition (runs on a worker)."""
    rows = []
    for rule, refs, req in references:
        found = find_violations(part, refs, req)
        if len(found):
            rows.append(pd.DataFrame({
                "building_id": text(part, "id").to_numpy(dtype=object)[found["b"].to_numpy()],
                "rule": rule,
                "ref_id": text(refs, "id").to_numpy(dtype=object)[found["r"].to_numpy()],
                "distance_m": found["distance_m"].to_numpy(),
                "required_m": found["required_m"].to_numpy()}))
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c.endswith("_m") else "object")
                             for c in VIOLATION_COLUMNS})
    return pd.concat(rows, ignore_index=True)


def dask_setbacks(root, *, partitions: int = 8, road_setback_m: float = 0.0,
                  road_setback_by_class: str | None = None, rivers: bool = True,
                  roads: bool = True, skip_road_classes: str | None = SKIP_ROAD_CLASSES,
                  workdir=None) -> tuple[pd.DataFrame, dict]:
    """Run the ``setbacks`` rule over the embedded store at ``root`` (a folder or a
    :class:`~twin.store.ParquetStore`) with dask-geopandas.

    Uses the current dask client when there is one (e.g. a ``LocalCluster``), else dask's
    default scheduler. Returns ``(violations, info)``: one row per (building, reference)
    violation with :data:`VIOLATION_COLUMNS`, sorted like the embedded query's table, and
    ``{"partitions", "partitions_checked", "buildings", "partition_s", "query_s"}``.
    """
    import dask.dataframe as dd

    store = _store(root)
    references = [(r.rule, r.refs, r.required) for r in setback_references(QueryInputs(store), {
        "road_setback_m": road_setback_m, "road_setback_by_class": road_setback_by_class,
        "rivers": rivers, "roads": roads, "skip_road_classes": skip_road_classes})]
    files = current_files(store, "building")
    if not files:
        raise StoreError("the store has no building layer", path=root)
    # the zone of each reference set that a building must reach to be checked at all
    zones = [refs.geometry.union_all().buffer((float(np.nanmax(req)) if len(req) else 0.0)
                                              + 1e-6) for _rule, refs, req in references]
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        parts = []
        checked = total = 0
        t0 = time.perf_counter()
        for i, path in enumerate(files.values()):
            ddf = partition_layer(path, Path(tmp) / f"part{i}", partitions=partitions)
            total += ddf.npartitions
            extents = ddf.spatial_partitions.to_numpy()
            keep = np.zeros(len(extents), dtype=bool)
            for near in zones:  # prune partitions far from every reference
                keep |= shapely.intersects(extents, near)
            idx = np.flatnonzero(keep).tolist()
            checked += len(idx)
            if idx:
                meta = _partition_violations(ddf._meta, [])
                parts.append(ddf.partitions[idx].map_partitions(
                    _partition_violations, references, meta=meta))
        n_buildings = int(sum(pq.read_metadata(p).num_rows for p in files.values()))
        t1 = time.perf_counter()
        table = dd.concat(parts).compute() if parts else _partition_violations(None, [])
        t2 = time.perf_counter()
    table = table.sort_values(["building_id", "rule", "ref_id"], kind="stable").reset_index(
        drop=True)
    return table[VIOLATION_COLUMNS], {"partitions": total, "partitions_checked": checked,
                                      "buildings": n_buildings,
                                      "partition_s": round(t1 - t0, 3),
                                      "query_s": round(t2 - t1, 3)}


def main(argv=None) -> int:
    """Command line: run dask setbacks on a local cluster and compare with the embedded query."""
    parser = argparse.ArgumentParser(description="setbacks with dask-geopandas on a local cluster")
    parser.add_argument("--store", default="layers", help="the GeoParquet store folder")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--road-setback-m", type=float, default=0.0)
    args = parser.parse_args(argv)
    from dask.distributed import Client, LocalCluster

    from ..query import get_query
    from ..query.inputs import QueryInputs
    from ..store import ParquetStore

    with LocalCluster(n_workers=args.workers, threads_per_worker=1,
                      dashboard_address=None) as cluster, Client(cluster):
        t0 = time.perf_counter()
        table, info = dask_setbacks(args.store, partitions=args.partitions,
                                    road_setback_m=args.road_setback_m)
        t_dask = time.perf_counter() - t0
    spec = get_query("setbacks")
    t0 = time.perf_counter()
    res = spec.run(QueryInputs(ParquetStore(args.store)),
                   **{**spec.defaults(), "road_setback_m": args.road_setback_m})
    t_embedded = time.perf_counter() - t0
    embedded = res.table[VIOLATION_COLUMNS].reset_index(drop=True)
    same = embedded.equals(table)
    print(f"{info['buildings']} buildings; dask on a local cluster of {args.workers} workers: "
          f"spatial partitioning (once) {info['partition_s']:.2f} s, setbacks over "
          f"{info['partitions_checked']} of {info['partitions']} partitions "
          f"{info['query_s']:.2f} s, {len(table)} violations (total {t_dask:.2f} s)")
    print(f"embedded setbacks (baseline): {len(embedded)} violations in {t_embedded:.2f} s; "
          f"dask query / baseline = {info['query_s'] / t_embedded:.2f}×; identical: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
