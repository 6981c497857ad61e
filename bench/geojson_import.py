"""Benchmark: the whole validated `twin import` of a 100k-polygon GeoJSON town, against
the GDAL floor (pyogrio's raw ``read_arrow`` of the same file) and ``ogr2ogr -f GPKG``.

The town is generated here: 100,000 building footprints (WGS84, around 119.90E 35.73N,
Boli) with id, name, height ("12.5 m" text for a tenth of them), building:levels and use.
All three contenders run in this one process, interleaved, ``--repeat`` times each; the
best time of each is compared (the machine is shared, so the best is the least disturbed).

Targets: twin ≥ 0.6× the floor's throughput, and faster than ogr2ogr.

Run: ``.venv/bin/python bench/geojson_import.py [--features 100000] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyogrio

from twin.importer import import_file
from twin.store import ParquetStore

USES = ("residential", "commercial", "industrial", "school", "warehouse", "port")


def write_town(path: Path, n: int, seed: int = 7) -> None:
    """Write ``n`` rectangular footprints on a grid around Boli as a GeoJSON FeatureCollection."""
    rng = np.random.default_rng(seed)
    cols = int(np.ceil(np.sqrt(n)))
    step = 0.0005  # degrees, ~45 m
    r, c = np.divmod(np.arange(n), cols)
    x0 = 119.90 - cols * step / 2 + c * step
    y0 = 35.73 - cols * step * 0.8 / 2 + r * step * 0.8
    w = step * rng.uniform(0.3, 0.8, n)
    h = step * 0.8 * rng.uniform(0.3, 0.8, n)
    height = rng.uniform(3, 80, n).round(1)
    levels = np.maximum(1, (height / 3).astype(int))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('{"type": "FeatureCollection", "features": [\n')
        for i in range(n):
            a, b, e, f = x0[i], y0[i], x0[i] + w[i], y0[i] + h[i]
            hv = f'"{height[i]} m"' if i % 10 == 0 else f"{height[i]}"
            fh.write(
                f'{{"type": "Feature", "id": "b{i}", "properties": {{"name": "泊里楼{i}", '
                f'"height": {hv}, "building:levels": {levels[i]}, '
                f'"building": "{USES[i % len(USES)]}"}}, "geometry": {{"type": "Polygon", '
                f'"coordinates": [[[{a:.7f}, {b:.7f}], [{e:.7f}, {b:.7f}], [{e:.7f}, {f:.7f}], '
                f'[{a:.7f}, {f:.7f}], [{a:.7f}, {b:.7f}]]]}}}}'
                + (",\n" if i < n - 1 else "\n"))
        fh.write("]}\n")


def time_floor(path: Path) -> float:
    """pyogrio's raw read_arrow: the GDAL floor."""
    t0 = time.perf_counter()
    pyogrio.read_arrow(path)
    return time.perf_counter() - t0


def time_ogr2ogr(path: Path, work: Path) -> float:
    """Debian gdal-bin's ogr2ogr to a GeoPackage (process start included)."""
    out = work / "ogr2ogr.gpkg"
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), str(path)], check=True,
                   capture_output=True)
    return time.perf_counter() - t0


def time_twin(path: Path, work: Path, k: int) -> tuple[float, dict]:
    """twin's whole import path into a fresh ParquetStore, on_invalid=fix."""
    store = ParquetStore(work / f"store{k}")
    t0 = time.perf_counter()
    _, report = import_file(store, path, kind="building", on_invalid="fix")
    return time.perf_counter() - t0, report.to_dict()


def main(argv=None) -> int:
    """Generate the town, time the three contenders, print throughputs and ratios."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    n = args.features
    ogr2ogr = shutil.which("ogr2ogr")
    with tempfile.TemporaryDirectory(prefix="twin-bench-") as tmp:
        work = Path(tmp)
        path = work / "town.geojson"
        t0 = time.perf_counter()
        write_town(path, n)
        size_mb = path.stat().st_size / 1e6
        print(f"generated {n:,} polygons, {size_mb:.1f} MB, in {time.perf_counter() - t0:.1f} s")
        floor, ogr, twin = [], [], []
        report = {}
        for k in range(args.repeat):
            floor.append(time_floor(path))
            if ogr2ogr:
                ogr.append(time_ogr2ogr(path, work))
            dt, report = time_twin(path, work, k)
            twin.append(dt)
        assert report["counts"]["features_written"] == n, report["counts"]

        def line(label, times):
            best = min(times)
            med = statistics.median(times)
            print(f"  {label:38s} best {best:6.3f} s  median {med:6.3f} s  "
                  f"{n / best:>10,.0f} features/s")
            return best

        load = os.getloadavg()[0]
        print(f"times over {args.repeat} interleaved runs (machine: {os.cpu_count()} cores, "
              f"load average {load:.1f}; twin overlaps its checks with GDAL's parse, which a "
              "busy machine hides):")
        t_floor = line("(a) GDAL floor: pyogrio.read_arrow", floor)
        t_ogr = line("(b) ogr2ogr -f GPKG", ogr) if ogr else None
        if not ogr:
            print("  (b) ogr2ogr -f GPKG: skipped, ogr2ogr not found (apt-get install gdal-bin)")
        t_twin = line("(c) twin import (validated, fix, store)", twin)
        stages = {k: v for k, v in report["timings"].items()}
        print("  twin stages (last run): " + ", ".join(f"{k} {v:.3f}" for k, v in stages.items()))
        ratio_floor = t_floor / t_twin
        ok_floor = ratio_floor >= 0.6
        print(f"twin / floor throughput: {ratio_floor:.2f}x (target >= 0.60x) "
              f"{'PASS' if ok_floor else 'MISS'}")
        ok_ogr = True
        if t_ogr is not None:
            ratio_ogr = t_ogr / t_twin
            ok_ogr = ratio_ogr > 1.0
            print(f"twin / ogr2ogr throughput: {ratio_ogr:.2f}x (target > 1.00x) "
                  f"{'PASS' if ok_ogr else 'MISS'}")
    print("targets met" if ok_floor and ok_ogr else "targets missed on this run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
