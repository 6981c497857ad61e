"""Benchmark: twin's full IFC import against the bare ``ifcopenshell.geom.iterator`` loop.

For each model, in this one process, interleaved ``--repeat`` times (the
machine is shared):

* **floor** — in a separate (spawned) process, so that its iterator leaves nothing to the
  twin import's forked geometry child: ``ifcopenshell.open`` + ``geom.iterator`` (same kernel
  ``hybrid-cgal-simple-opencascade``, same thread count ``cpu_count()``, world
  coordinates, the same elements twin meshes) + a loop pulling every vertex/face buffer
  into numpy. This is the least any importer must spend.
* **twin** — ``twin.importer.import_file`` into a fresh store: file checks, georeferencing,
  the geometry child process, attributes and property sets, placement in the working CRS,
  footprints, LOD1, storeys and the GeoParquet write.
* **ratio** twin / floor (target ≤ 1.15), judged on the median of the per-round ratios
  (each round runs the floor and twin back to back, so both see the same machine; the
  best floor and the best twin of different rounds are printed too, but one lucky floor
  run moves their ratio by 0.1 on this shared two-core machine), and the same ratio in
  CPU seconds (user + system, every thread and child).
* **opencascade** — the floor loop with the OpenCASCADE kernel, for comparison.
* **all products** — the floor loop without twin's element selection (openings, spaces,
  annotations included), for reference.

Models: the real 2.9 MB building ``fail-grf005-ifc4_blank_map_conversion.ifc`` from
``../shared/data`` (imported with ``fix_scale`` into an EPSG:3857 store; skipped when the
data is absent) and a generated model with ``--elements`` (default 3,000) extra columns,
written with ifcopenshell.api (its generation time is printed, not counted).

Each round (floor and twin back to back, which goes first alternating: the first run after
an idle spell is the slower one here) starts when the machine has been ≥ 90 % idle
for 1.5 s, waiting up to ``--quiet`` seconds (the machine is shared; other jobs swing wall times by 2×); the
per-round ratios are printed too.

Two more comparisons, each against its own floor measured in the same run:

* **model check** — ``twin ifc check`` (file checks, open, the GRF/structure rules and the
  default Boli IDS) against ``ifcopenshell.open`` + a bare ``ifctester`` validation of the
  same IDS on the real model (target ≤ 1.2).
* **start-up** — a 20-element model imported with ``twin import`` in a fresh process
  against the bare iterator loop in a fresh process, both including Python's start-up and
  imports (target ≤ 2), with each one's peak RSS; for reference, a fresh process that only
  imports the libraries such an import needs (the least this stack can pay).

Wall and CPU seconds (user + system, all threads and children) are printed as best and
median of the rounds.

Run: ``.venv/bin/python bench/ifc_import.py [--elements 3000] [--repeat 7] [--no-occ]
[--quiet 60] [--only real|generated|check|startup]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from ifc_factory import make_test_building  # noqa: E402

from twin.ifc.elements import model_elements  # noqa: E402
from twin.importer import import_file  # noqa: E402
from twin.store import ParquetStore  # noqa: E402

REAL = ROOT.parent / "shared" / "data" / "ifc" / "semantic" / \
    "fail-grf005-ifc4_blank_map_conversion.ifc"
KERNEL = "hybrid-cgal-simple-opencascade"


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (user + system), all threads."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _cpu_idle_fraction(seconds: float = 0.5) -> float:
    """Fraction of the machine's CPU time spent idle over ``seconds`` (from /proc/stat)."""
    def sample():
        with open("/proc/stat", encoding="ascii") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
        return values[3] + values[4], sum(values)

    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / (total1 - total0) if total1 > total0 else 1.0


def wait_for_quiet(limit_s: float, need: float = 0.9, window_s: float = 1.5) -> bool:
    """Wait up to ``limit_s`` until the machine has been ≥ ``need`` idle for ``window_s``;
    True when it was (the machine is shared, and other jobs make wall times swing by 2×)."""
    if limit_s <= 0 or not os.path.exists("/proc/stat"):
        return False
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        if _cpu_idle_fraction(window_s) >= need:
            return True
    return False


def bare_loop(path: Path, kernel: str, *, select: bool = True) -> tuple[float, int]:
    """The floor: open, iterate, pull buffers. Returns (seconds, shapes)."""
    import ifcopenshell
    import ifcopenshell.geom

    t0 = time.perf_counter()
    model = ifcopenshell.open(str(path))
    settings = ifcopenshell.geom.settings()
    settings.set("use-world-coords", True)
    kwargs = {"geometry_library": kernel}
    if select:
        # the same selection twin passes to the iterator
        kwargs["include"] = [el for el in model_elements(model) if el.Representation is not None]
    iterator = ifcopenshell.geom.iterator(settings, model, multiprocessing.cpu_count(), **kwargs)
    n = 0
    if iterator.initialize():
        while True:
            shape = iterator.get()
            np.frombuffer(shape.geometry.verts_buffer, dtype=np.float64)
            np.frombuffer(shape.geometry.faces_buffer, dtype=np.int32)
            n += 1
            if not iterator.next():
                break
    return time.perf_counter() - t0, n


def floor_job(args) -> tuple[float, int, float]:
    """:func:`bare_loop` in the floor's own process; returns (seconds, shapes, CPU seconds
    of that process, all threads)."""
    path, kernel, select = args
    me = resource.getrusage(resource.RUSAGE_SELF)
    t, n = bare_loop(Path(path), kernel, select=select)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return t, n, (after.ru_utime + after.ru_stime) - (me.ru_utime + me.ru_stime)


def twin_import(path: Path, crs: str, options: dict) -> tuple[float, dict]:
    """twin's full import into a fresh store; returns (seconds, report timings)."""
    os.environ["TWIN_CRS"] = crs
    folder = Path(tempfile.mkdtemp(prefix="twin-bench-ifc-"))
    try:
        t0 = time.perf_counter()
        _, report = import_file(ParquetStore(folder / "layers"), path, **options)
        return time.perf_counter() - t0, dict(report.timings)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def bench_model(label: str, path: Path, crs: str, options: dict, repeat: int,
                with_occ: bool, quiet_s: float = 0.0, floor_pool=None) -> float:
    """Run every contender ``repeat`` times, interleaved; print the best of each.

    The bare loops run in ``floor_pool`` (one spawned process): an iterator run in this
    process would leave its allocator and thread state to the forked geometry child of
    the next twin import and slow it by 0.1-0.3 s, which no real import pays."""
    floor, twin, occ, allp, floor_cpu, twin_cpu = [], [], [], [], [], []
    shapes = 0
    timings = {}
    quiet = 0
    load = os.getloadavg()[0]
    def loop(kernel, select=True):
        return floor_pool.apply(floor_job, ((str(path), kernel, select),))

    loop(KERNEL)  # warm-ups: first imports of the geometry library, pyarrow writers etc.
    twin_import(path, crs, options)
    def run_floor():
        nonlocal shapes
        t, shapes, cpu = loop(KERNEL)
        floor_cpu.append(cpu)
        floor.append(t)

    def run_twin():
        nonlocal timings
        c0 = cpu_seconds()
        t, timings_i = twin_import(path, crs, options)
        time.sleep(0.2)  # the geometry child is reaped in the background: count its CPU
        twin_cpu.append(cpu_seconds() - c0)
        if not twin or t < min(twin):
            timings = timings_i
        twin.append(t)

    for round_ in range(repeat):
        quiet += wait_for_quiet(quiet_s)
        # alternate which runs first after the quiet wait: the first run after an idle
        # spell is the slower one on this virtual machine
        for step in ((run_floor, run_twin) if round_ % 2 == 0 else (run_twin, run_floor)):
            step()
        allp.append(loop(KERNEL, select=False)[0])
    if with_occ:
        occ.append(loop("opencascade")[0])
    best_floor, best_twin = min(floor), min(twin)
    pairs = sorted(t / f for f, t in zip(floor, twin))
    median = pairs[len(pairs) // 2] if len(pairs) % 2 else \
        (pairs[len(pairs) // 2 - 1] + pairs[len(pairs) // 2]) / 2
    print(f"\n{label}: {path.name} ({path.stat().st_size / 1e6:.1f} MB, {shapes} meshed "
          f"elements, {multiprocessing.cpu_count()} threads)")
    print(f"  floor  bare iterator loop ({KERNEL})   {best_floor:8.3f} s")
    print(f"  twin   full import (meshes, attributes, LOD1, store) {best_twin:8.3f} s")
    print(f"  ratio  twin / floor, median of {len(pairs)} rounds      {median:8.3f}  "
          f"(target ≤ 1.15) {'OK' if median <= 1.15 else 'OVER'}; best / best "
          f"{best_twin / best_floor:.3f}")
    cpu_ratio = min(twin_cpu) / min(floor_cpu)
    print(f"  cpu    floor {min(floor_cpu):.2f} s, twin {min(twin_cpu):.2f} s (all threads and "
          f"children): ratio {cpu_ratio:.3f}")
    print("  pairs  twin/floor of each round (floor, twin run back to back): "
          + ", ".join(f"{r:.3f}" for r in pairs))
    print("  rounds floor → twin seconds: "
          + ", ".join(f"{f:.3f}→{t:.3f}" for f, t in zip(floor, twin)))
    print(f"  load   1-min load average {load:.1f} → {os.getloadavg()[0]:.1f} on "
          f"{multiprocessing.cpu_count()} cores (wall times swing with other users' jobs)"
          + (f"; {quiet}/{repeat} rounds started on a ≥90 % idle machine" if quiet_s else ""))
    if occ:
        print(f"  occ    bare iterator loop (opencascade)      {min(occ):8.3f} s "
              f"({min(occ) / best_floor:.1f}× the hybrid kernel)")
    print(f"  ref    bare loop over all products           {min(allp):8.3f} s")
    print("  twin stages (best run): " + ", ".join(f"{k} {v:.3f}" for k, v in timings.items()))
    return median


def _median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def bare_ifctester(path: Path, ids_path: Path) -> float:
    """The floor of a model check: ``ifcopenshell.open`` + ``ifctester`` on the IDS."""
    import ifcopenshell
    from ifctester import ids as ids_mod

    t0, c0 = time.perf_counter(), time.process_time()
    model = ifcopenshell.open(str(path))
    spec = ids_mod.open(str(ids_path))
    spec.validate(model)
    return time.perf_counter() - t0, time.process_time() - c0


def twin_check(path: Path, ids_path: Path) -> float:
    """``twin ifc check``'s work: the file checks, the open, every rule and the IDS."""
    from twin.ifc.check import check_file

    t0, c0 = time.perf_counter(), time.process_time()
    check_file(path, ids=ids_path)
    return time.perf_counter() - t0, time.process_time() - c0


def bench_check(path: Path, repeat: int, quiet_s: float, pool) -> float:
    """``twin ifc check`` (default Boli IDS) against a bare ifctester run of the same
    IDS, each round back to back in the same spawned process, alternating order."""
    from twin.ifc.check import DEFAULT_IDS

    pool.apply(bare_ifctester, (path, DEFAULT_IDS))  # warm-ups
    pool.apply(twin_check, (path, DEFAULT_IDS))
    bare, twin = [], []
    for round_ in range(repeat):
        wait_for_quiet(quiet_s)
        steps = ((bare_ifctester, bare), (twin_check, twin))
        for fn, out in (steps if round_ % 2 == 0 else steps[::-1]):
            out.append(pool.apply(fn, (path, DEFAULT_IDS)))
    ratio = _median([t[0] / b[0] for b, t in zip(bare, twin)])
    cpu_ratio = _median([t[1] / b[1] for b, t in zip(bare, twin)])
    print(f"\nmodel check: {path.name} with {DEFAULT_IDS.name}")
    _best_median("floor  ifcopenshell.open + ifctester validate ", bare)
    _best_median("twin   twin ifc check (file checks, rules, IDS)", twin)
    print(f"  ratio  twin / floor, median of {repeat} rounds: wall {ratio:.3f}  (target ≤ 1.2) "
          f"{'OK' if ratio <= 1.2 else 'OVER'}; CPU {cpu_ratio:.3f}; best / best wall "
          f"{min(t[0] for t in twin) / min(b[0] for b in bare):.3f}, CPU "
          f"{min(t[1] for t in twin) / min(b[1] for b in bare):.3f}")
    print("  rounds floor → twin wall seconds: "
          + ", ".join(f"{b[0]:.3f}→{t[0]:.3f}" for b, t in zip(bare, twin)))
    print(f"  load   1-min load average {os.getloadavg()[0]:.1f} on "
          f"{multiprocessing.cpu_count()} cores")
    return ratio


def _best_median(label: str, runs: list[tuple[float, float]]) -> None:
    """Print best and median wall and CPU seconds of ``runs`` ((wall, CPU) pairs)."""
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    print(f"  {label} wall best {min(walls):.3f} s, median {_median(walls):.3f} s; "
          f"CPU best {min(cpus):.3f} s, median {_median(cpus):.3f} s")


_BARE_SCRIPT = """
import resource, sys, time
import multiprocessing
import ifcopenshell, ifcopenshell.geom
import numpy as np
model = ifcopenshell.open(sys.argv[1])
settings = ifcopenshell.geom.settings()
settings.set("use-world-coords", True)
it = ifcopenshell.geom.iterator(settings, model, multiprocessing.cpu_count(),
                                geometry_library=sys.argv[2])
if it.initialize():
    while True:
        g = it.get().geometry
        np.frombuffer(g.verts_buffer, dtype=np.float64)
        np.frombuffer(g.faces_buffer, dtype=np.int32)
        if not it.next():
            break
print(int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'))))
"""

_TWIN_SCRIPT = """
import atexit, resource, sys
def peak():
    with open("/proc/self/status") as fh:
        return int(next(l.split()[1] for l in fh if l.startswith("VmHWM")))
atexit.register(lambda: print(peak(), file=sys.stderr))
from twin.cli import _entry
sys.argv = ["twin", "--store", sys.argv[1], "import", sys.argv[2]]
_entry()
"""


# only the imports of the libraries a `twin import` of an IFC cannot do without (the CLI,
# ifcopenshell, the GeoDataFrame and GeoParquet stack, PROJ), for reference: the least
# start-up any import through this stack pays; and two lighter sets, to show what an import
# path without pandas/geopandas (pyarrow + shapely + pyproj straight) could at best reach
_LIBS = """
import resource
import typer, typer._adapters, rich.progress
import ifcopenshell, ifcopenshell.geom, numpy, pandas, geopandas, pyarrow.parquet
import pyproj, shapely
print(int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'))))
"""
_LIBS_NO_PANDAS = """
import resource
import typer, typer._adapters, rich.progress
import ifcopenshell, ifcopenshell.geom, numpy, pyarrow.parquet, pyproj, shapely
print(int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'))))
"""
_LIBS_FLOOR = """
import resource
import ifcopenshell, ifcopenshell.geom, numpy
print(int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'))))
"""
_LIBS_SCRIPTS = (
    ("libs", "every library the import needs", _LIBS),
    ("no-pd", "the same without pandas/geopandas", _LIBS_NO_PANDAS),
    ("ifc-np", "only ifcopenshell + numpy (the floor's imports)", _LIBS_FLOOR),
)


def _run_process(cmd, env) -> tuple[float, float, int]:
    """Run ``cmd``; (wall seconds, CPU seconds of it and its children, the peak RSS it
    prints: VmHWM of its own address space, kB; ``ru_maxrss`` would carry this bench
    process's peak over fork and exec)."""
    import subprocess

    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (kids.ru_utime + kids.ru_stime)
    text = (done.stdout + done.stderr).strip().splitlines()
    return seconds, cpu, int(text[-1])


def bench_startup(repeat: int, quiet_s: float) -> float:
    """A 20-element model imported by ``twin import`` in a fresh process against the bare
    iterator loop in a fresh process: both include Python's start-up and imports."""
    folder = Path(tempfile.mkdtemp(prefix="twin-bench-small-"))
    try:
        path = folder / "small.ifc"
        info = make_test_building(path, storeys=1, extra_elements=16, with_space=False,
                                  map_conversion={"crs": "EPSG:4549", "eastings": 490_000.0,
                                                  "northings": 3_955_000.0})
        env = dict(os.environ, PYTHONPATH=str(ROOT), TWIN_CRS="EPSG:4549")
        # bytecode as an installed package has it (pip compiles on install): with
        # PYTHONDONTWRITEBYTECODE set, every twin module would be compiled from source in
        # each process (~50 ms here) while the libraries' .pyc files exist; the warm-up
        # round writes twin's __pycache__
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        bare, twin, bare_rss, twin_rss = [], [], [], []
        libs = {key: [] for key, _, _ in _LIBS_SCRIPTS}
        libs_rss = {key: [] for key, _, _ in _LIBS_SCRIPTS}
        for round_ in range(repeat + 1):
            wait_for_quiet(quiet_s)
            store = folder / f"store{round_}"
            runs = [("bare", [sys.executable, "-c", _BARE_SCRIPT, str(path), KERNEL]),
                    ("twin", [sys.executable, "-c", _TWIN_SCRIPT, str(store), str(path)])]
            for name, cmd in (runs if round_ % 2 == 0 else runs[::-1]):
                seconds, cpu, rss = _run_process(cmd, env)
                if round_ == 0:
                    continue  # warm-up: page cache, .pyc files
                (bare if name == "bare" else twin).append((seconds, cpu))
                (bare_rss if name == "bare" else twin_rss).append(rss)
            for key, _, script in _LIBS_SCRIPTS:
                seconds, cpu, rss = _run_process([sys.executable, "-c", script], env)
                if round_:
                    libs[key].append((seconds, cpu))
                    libs_rss[key].append(rss)
        ratio = _median([t[0] / b[0] for b, t in zip(bare, twin)])
        cpu_ratio = _median([t[1] / b[1] for b, t in zip(bare, twin)])
        print(f"\nsmall model, start-up included: {info['element_count']} elements, "
              f"{path.stat().st_size / 1e3:.0f} kB, fresh process each")
        _best_median(f"floor  python + bare iterator loop (peak RSS {max(bare_rss) / 1024:.0f} MB)",
                     bare)
        _best_median(f"twin   python + `twin import`     (peak RSS {max(twin_rss) / 1024:.0f} MB)",
                     twin)
        for key, what, _ in _LIBS_SCRIPTS:
            runs = libs[key]
            _best_median(f"{key:6s} python + {what} (imports only, peak RSS "
                         f"{max(libs_rss[key]) / 1024:.0f} MB)", runs)
            print(f"  ref    {key} / floor, median: wall "
                  f"{_median([x[0] / b[0] for b, x in zip(bare, runs)]):.3f}, CPU "
                  f"{_median([x[1] / b[1] for b, x in zip(bare, runs)]):.3f}")
        print("  (libs: typer, rich, ifcopenshell, pandas, geopandas, pyarrow, pyproj, shapely; "
              "no twin code)")
        print(f"  ratio  twin / floor, median of {repeat} rounds: wall {ratio:.3f}  (target ≤ 2) "
              f"{'OK' if ratio <= 2 else 'OVER'}; CPU {cpu_ratio:.3f}; best / best wall "
              f"{min(t[0] for t in twin) / min(b[0] for b in bare):.3f}, CPU "
              f"{min(t[1] for t in twin) / min(b[1] for b in bare):.3f}")
        print(f"  load   1-min load average {os.getloadavg()[0]:.1f} on "
              f"{multiprocessing.cpu_count()} cores")
        return ratio
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> int:
    """Run the benchmark; exit status 0 (figures are printed, not asserted)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--no-occ", action="store_true", help="skip the OpenCASCADE run")
    parser.add_argument("--only", choices=("real", "generated", "check", "startup"),
                        help="run one of the two models")
    parser.add_argument("--quiet", type=float, default=60.0, metavar="S",
                        help="before each round wait up to S seconds for a ≥90 %% idle "
                             "machine (0: don't wait)")
    args = parser.parse_args(argv)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return _run(args, pool)


def _run(args, pool) -> int:
    if args.only in (None, "check"):
        if REAL.exists():
            bench_check(REAL, args.repeat, args.quiet, pool)
        else:
            print(f"(model check skipped: {REAL} not present)")
    if args.only in (None, "startup"):
        bench_startup(args.repeat, args.quiet)
    if args.only in ("check", "startup"):
        return 0
    if args.only == "generated":
        pass
    elif REAL.exists():
        bench_model("real model", REAL, "EPSG:3857", {"fix_scale": True}, args.repeat,
                    not args.no_occ, args.quiet, pool)
    else:
        print(f"(real model skipped: {REAL} not present)")
    if args.only == "real":
        return 0
    folder = Path(tempfile.mkdtemp(prefix="twin-bench-gen-"))
    try:
        path = folder / f"generated_{args.elements}.ifc"
        t0 = time.perf_counter()
        info = make_test_building(path, unit="mm", storeys=2, extra_elements=args.elements,
                                  size_m=(120.0, 80.0), map_conversion={
                                      "crs": "EPSG:4549", "eastings": 490_000.0,
                                      "northings": 3_955_000.0, "scale": 0.001})
        print(f"\n(generated {info['element_count']} elements with ifcopenshell.api in "
              f"{time.perf_counter() - t0:.1f} s; not counted)")
        bench_model("generated model", path, "EPSG:4549", {}, args.repeat, not args.no_occ,
                    args.quiet, pool)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
