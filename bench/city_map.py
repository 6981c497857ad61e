"""City-scale map: a synthetic district through the real import path, drawn from tiles vs
today's whole-layer path, in headless Chromium, in one run.

The district: ``--buildings`` LOD1 buildings (default 500,000) on a 40 m grid, 20,000
parcels and a road grid every kilometre, written as GeoPackage files in WGS84 and imported
with :func:`twin.importer.import_file` (which builds the tiles after each commit). Printed:

* tile build time per 100k buildings (target ≤ 10 s), from the import's own timing and
  from a rebuild of the pyramid alone;
* for the Boli demo (built with ``twin demo``) and for the district, first paint warm (a
  reload once the server's caches are warm; target ≤ 3 s) with tiles and with the
  whole-layer path (``TWIN_MAP_TILES=0``), as a ratio;
* bytes a fresh browser received before first paint and 3 s later, on the wire (Streamlit
  gzips app/static responses) and decoded (map data: the deck spec
  over the websocket, layer data files and tiles; the app's own scripts are the same for
  both paths and not counted), and after panning across the district, next to the
  whole-layer payload;
* for the demo with tiles, flying to an IFC building (camera preset): seconds until its
  BIM element tile arrived and the bytes it took (whole layers send every building's
  triangles in the first spec instead);
* requests that left localhost (must be 0);
* with ``--frames``, where the warm first paint went: when the chart's canvas mounted, each
  burst of WebGL draws (ms after navigation, draws, deck.gl shaders drawn) and the main
  thread's long tasks. Under SwiftShader a frame that draws a shader for the first time
  waits for the software GPU to compile its pipeline (about 0.3 s each on a quiet machine,
  1-2 s at load 10), which is most of the time between mount and paint.

SwiftShader draws WebGL on the CPU: the paint figures move with the machine's load, which
is printed with them.

Run: ``.venv/bin/python bench/city_map.py [--buildings 500000] [--no-browser] [--no-whole]
[--demo-only] [--frames]``
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from small_town import ORIGIN, synthetic_buildings  # noqa: E402

from twin.crs import to_wgs84, working_crs  # noqa: E402
from twin.importer import import_file  # noqa: E402
from twin.store import ParquetStore  # noqa: E402
from twin.tiles import build_pyramid, layer_features  # noqa: E402

PARCELS = 20_000

# Page instrumentation for ``--frames``: the canvas mount, WebGL draw bursts with the deck.gl
# shader names (SHADER_NAME of the program in use) and long tasks, in performance.now() ms.
FRAME_PROBE = """
window.__frames = {draws: [], long: [], canvas: null};
(() => {
  const P = WebGL2RenderingContext.prototype, names = new WeakMap(), progs = new WeakMap();
  let program = null, burst = null;
  const source = P.shaderSource;
  P.shaderSource = function (sh, src) {
    const m = /SHADER_NAME\\s+(\\S+)/.exec(src);
    names.set(sh, m ? m[1].replace(/-vertex-shader|-shader/g, '') : '?');
    return source.call(this, sh, src);
  };
  const attach = P.attachShader;
  P.attachShader = function (p, sh) {
    if (!/fragment/.test(names.get(sh) || '')) progs.set(p, names.get(sh) || '?');
    return attach.call(this, p, sh);
  };
  const use = P.useProgram;
  P.useProgram = function (p) { program = p; return use.call(this, p); };
  for (const f of ['drawArrays', 'drawElements', 'drawArraysInstanced', 'drawElementsInstanced']) {
    const draw = P[f];
    P[f] = function (...a) {
      const t = Math.round(performance.now());
      if (!burst || t - burst.t > 30) { burst = {t, n: 0, s: {}}; window.__frames.draws.push(burst); }
      const name = (program && progs.get(program)) || '?';
      burst.n++; burst.s[name] = (burst.s[name] || 0) + 1;
      return draw.apply(this, a);
    };
  }
  try {
    new PerformanceObserver(l => { for (const e of l.getEntries())
      window.__frames.long.push([Math.round(e.startTime), Math.round(e.duration)]); })
      .observe({entryTypes: ['longtask']});
  } catch (e) {}
  const seen = new MutationObserver(() => {
    if (window.__frames.canvas === null &&
        document.querySelector('[data-testid=stDeckGlJsonChart] canvas')) {
      window.__frames.canvas = Math.round(performance.now()); seen.disconnect(); }
  });
  document.addEventListener('DOMContentLoaded',
    () => seen.observe(document.body, {childList: true, subtree: true}));
})();
"""


def write_district(folder: Path, n: int) -> dict[str, Path]:
    """GeoPackage sources (WGS84) of ``n`` buildings, 20,000 parcels and a road grid."""
    folder.mkdir(parents=True, exist_ok=True)
    buildings = synthetic_buildings(n)
    side_m = float(np.ceil(np.sqrt(n)) * 40.0)
    x0, y0 = ORIGIN
    cells = int(np.ceil(np.sqrt(PARCELS)))
    step = side_m / cells
    i = np.arange(cells * cells)[:PARCELS]
    px, py = x0 + (i % cells) * step, y0 + (i // cells) * step
    uses = np.array(["R2", "B1", "M1", "G1", "A3", "R1"])[i % 6]
    parcels = gpd.GeoDataFrame({
        "id": [f"P{k}" for k in i], "name": [f"地块{k}" for k in i], "land_use": uses,
        "max_far": np.full(len(i), 2.5), "max_density": np.full(len(i), 0.35),
        "max_height_m": np.full(len(i), 60.0), "min_green_ratio": np.full(len(i), 0.3)},
        geometry=shapely.box(px + 2, py + 2, px + step - 2, py + step - 2), crs=working_crs())
    lines, names = [], []
    for k, off in enumerate(np.arange(0.0, side_m + 1, 1000.0)):
        lines.append(shapely.LineString([(x0 - 20, y0 + off), (x0 + side_m + 20, y0 + off)]))
        lines.append(shapely.LineString([(x0 + off, y0 - 20), (x0 + off, y0 + side_m + 20)]))
        names += [f"东西{k}路", f"南北{k}路"]
    roads = gpd.GeoDataFrame({"id": [f"R{k}" for k in range(len(lines))], "name": names,
                              "road_class": ["arterial"] * len(lines),
                              "width_m": [30.0] * len(lines)},
                             geometry=lines, crs=working_crs())
    paths = {}
    for name, frame in (("buildings", buildings), ("parcels", parcels), ("roads", roads)):
        paths[name] = folder / f"{name}.gpkg"
        to_wgs84(frame).to_file(paths[name], driver="GPKG", engine="pyogrio")
    return paths


def import_district(store, paths) -> dict:
    """Import the district; ``{layer: (seconds, tile seconds)}``."""
    out = {}
    for name, kind in (("buildings", "building"), ("parcels", "parcel"), ("roads", "road")):
        t0 = time.perf_counter()
        _, report = import_file(store, paths[name], kind=kind, layer=name)
        out[name] = (time.perf_counter() - t0, report.timings.get("tiles_s", float("nan")))
    return out


def tile_build_alone(store, n: int, tmp: Path) -> tuple[float, float]:
    """Seconds to turn the buildings into features and to write their pyramid."""
    frame = store.read("buildings")
    t0 = time.perf_counter()
    table = layer_features(frame, "building")
    t1 = time.perf_counter()
    build_pyramid(table, tmp / "pyramid", key="pyramid")
    return t1 - t0, time.perf_counter() - t1


@contextlib.contextmanager
def byte_counter(page):
    """Counts map-data bytes the page receives (websocket frames, app/static/ files) and
    yields a callable returning ``(map bytes, all bytes)`` so far."""
    client = page.context.new_cdp_session(page)
    client.send("Network.enable")
    urls: dict[str, str] = {}
    totals = {"map": 0, "all": 0, "raw": 0}

    def on_response(event):
        urls[event["requestId"]] = event["response"]["url"]

    def on_finished(event):
        size = int(event.get("encodedDataLength", 0))
        totals["all"] += size
        if "/app/static/cache/" in urls.get(event["requestId"], "") or \
                "/app/static/tiles/" in urls.get(event["requestId"], ""):
            totals["map"] += size

    def on_data(event):  # decoded bytes (app/static responses are gzipped on the wire)
        url = urls.get(event["requestId"], "")
        if "/app/static/cache/" in url or "/app/static/tiles/" in url:
            totals["raw"] += int(event.get("dataLength", 0))

    def on_frame(event):
        frame = event["response"]
        data = frame.get("payloadData", "")
        size = len(base64.b64decode(data)) if frame.get("opcode") == 2 else len(data.encode())
        totals["map"] += size
        totals["all"] += size
        totals["raw"] += size

    client.on("Network.responseReceived", on_response)
    client.on("Network.loadingFinished", on_finished)
    client.on("Network.dataReceived", on_data)
    client.on("Network.webSocketFrameReceived", on_frame)
    yield lambda: (totals["map"], totals["raw"])


def pan_across(page, rounds: int = 6) -> None:
    """Drag the map across the district: zoom in twice, then pan in a spiral."""
    chart = page.locator("[data-testid=stDeckGlJsonChart]").first
    box = chart.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    for _ in range(3):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(700)
    moves = [(-350, 0), (0, -250), (350, 0), (350, 0), (0, 250), (-350, 0)]
    for dx, dy in moves[:rounds]:
        page.mouse.move(cx, cy)
        page.mouse.down()
        page.mouse.move(cx + dx, cy + dy, steps=8)
        page.mouse.up()
        page.wait_for_timeout(1500)


def bim_closeup(page, counted) -> dict:
    """Fly to the first IFC building (camera preset): seconds until its BIM element tile
    arrived, and the map bytes that took (tiles path; whole layers send the triangles in
    the first spec)."""
    from twin.tiles.tileset import DETAIL_ZOOM

    detail = f"/{DETAIL_ZOOM['bim_element']}/"
    arrived: list[float] = []

    def on_response(response):
        if "/app/static/tiles/bim_element-" in response.url and detail in response.url \
                and response.status == 200:
            arrived.append(time.perf_counter())

    page.on("response", on_response)
    before, raw_before = counted()
    page.locator("[data-testid=stSelectbox]", has_text="视角").click()
    t0 = time.perf_counter()
    page.get_by_role("option", name=re.compile("^IFC 建筑")).first.click()
    while not arrived and time.perf_counter() - t0 < 60:
        page.wait_for_timeout(100)
    page.wait_for_timeout(2000)
    after, raw_after = counted()
    return {"bim_s": arrived[0] - t0 if arrived else float("nan"),
            "bim_bytes": after - before, "bim_raw": raw_after - raw_before}


def frame_report(page) -> str:
    """Where the last load's first paint went (``--frames``): canvas mount, draw bursts with
    the shaders they drew (a shader's first burst waits for its pipeline), long tasks."""
    probe = page.evaluate("window.__frames")
    seen: set[str] = set()
    bursts = []
    for burst in probe["draws"][:12]:
        new = sorted(set(burst["s"]) - seen)
        seen |= set(burst["s"])
        bursts.append(f"{burst['t']} ms {burst['n']} draws" + (f" +{','.join(new)}" if new else ""))
    longs = ", ".join(f"{t} ms +{d}" for t, d in probe["long"] if d >= 200)
    return (f"canvas at {probe['canvas']} ms; draws: {'; '.join(bursts)}; "
            f"long tasks ≥ 200 ms: {longs or 'none'}")


def first_paint(store_path, label: str, *, tiles: bool, pan: bool = False,
                bim: bool = False, frames: bool = False, timeout_s: float = 180.0) -> dict:
    """First paint cold and warm, bytes before it (warm) and after panning, outside calls;
    ``frames``: also where the warm first paint went (:func:`frame_report`)."""
    from app_server import browser, streamlit_app, wait_for_map
    from playwright.sync_api import Error as PlaywrightError

    old = os.environ.get("TWIN_MAP_TILES")
    os.environ["TWIN_MAP_TILES"] = "1" if tiles else "0"
    result = {"label": label, "tiles": tiles}
    try:
        with tempfile.TemporaryDirectory() as tmp, \
                streamlit_app(store_path, log_path=Path(tmp) / "st.log") as url, \
                browser() as (page, outside):
            if frames:
                page.add_init_script(FRAME_PROBE)
            with byte_counter(page) as counted:  # a fresh browser: nothing cached
                t0 = time.perf_counter()
                page.goto(url)
                wait_for_map(page, timeout_s=timeout_s)
                result["cold_s"] = time.perf_counter() - t0
                result["bytes_first"], result["raw_first"] = counted()
                page.wait_for_timeout(3000)
                result["bytes_settled"], result["raw_settled"] = counted()
                t1 = time.perf_counter()
                page.reload()
                wait_for_map(page, timeout_s=timeout_s)
                result["warm_s"] = time.perf_counter() - t1
                if frames:
                    result["frames"] = frame_report(page)
                if bim:
                    page.wait_for_timeout(1500)
                    result.update(bim_closeup(page, counted))
                if pan:
                    page.wait_for_timeout(1500)
                    before, _ = counted()
                    pan_across(page)
                    result["bytes_pan"] = result["bytes_settled"] + counted()[0] - before
            result["outside"] = len(outside)
    except (TimeoutError, RuntimeError, PlaywrightError) as exc:
        result["error"] = str(exc).splitlines()[0]
    finally:
        if old is None:
            os.environ.pop("TWIN_MAP_TILES", None)
        else:
            os.environ["TWIN_MAP_TILES"] = old
    result["load"] = os.getloadavg()[0]
    return result


def show(result: dict) -> None:
    how = "tiles" if result["tiles"] else "whole"
    if "error" in result:
        print(f"  {result['label']:>10} {how:>6}: FAILED ({result['error']})")
        return
    pan = f", {result['bytes_pan'] / 2**20:.2f} MB on the wire after panning" \
        if "bytes_pan" in result else ""
    if "bim_s" in result:
        pan += (f"; flying to an IFC building: its BIM elements arrived in "
                f"{result['bim_s']:.2f} s, {result['bim_bytes'] / 2**20:.2f} "
                f"({result['bim_raw'] / 2**20:.2f}) MB")
    print(f"  {result['label']:>10} {how:>6}: first paint {result['cold_s']:.2f} s cold, "
          f"{result['warm_s']:.2f} s warm; map data on the wire (raw) "
          f"{result['bytes_first'] / 2**20:.2f} ({result['raw_first'] / 2**20:.2f}) MB before "
          f"first paint, {result['bytes_settled'] / 2**20:.2f} "
          f"({result['raw_settled'] / 2**20:.2f}) MB 3 s later{pan}; "
          f"outside requests {result['outside']} (load {result['load']:.1f})")
    if "frames" in result:
        print(f"  {'':>10} {how:>6}  warm load: {result['frames']}")


def compare(tiled: dict, whole: dict | None) -> None:
    if whole is None or "error" in tiled:
        return
    if "error" in whole:
        print(f"  {tiled['label']:>10} ratio: whole-layer path failed, tiles "
              f"{tiled['warm_s']:.2f} s")
        return
    print(f"  {tiled['label']:>10} ratio whole/tiles: first paint warm "
          f"{whole['warm_s'] / tiled['warm_s']:.1f}x, bytes before first paint "
          f"{whole['bytes_first'] / max(tiled['bytes_first'], 1):.1f}x, once loaded "
          f"{whole['bytes_settled'] / max(tiled['bytes_settled'], 1):.1f}x")


def measure_demo(tmp: Path, *, frames: bool = False) -> None:
    """First paint of the Boli demo (``twin demo``) with tiles and whole, as a ratio."""
    from twin.cli import main as twin_main

    demo = tmp / "demo"
    with contextlib.redirect_stdout(open(os.devnull, "w")):  # noqa: SIM115
        twin_main(["--store", str(demo), "demo", "--data", str(tmp / "boli")])
    print("== first paint in headless Chromium (warm = reload, server caches warm) ==")
    demo_tiles = first_paint(demo, "demo", tiles=True, bim=True, frames=frames)
    demo_whole = first_paint(demo, "demo", tiles=False, frames=frames)
    show(demo_tiles)
    show(demo_whole)
    compare(demo_tiles, demo_whole)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=500_000)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-whole", action="store_true",
                        help="skip the whole-layer path for the district (the demo keeps it)")
    parser.add_argument("--demo-only", action="store_true",
                        help="measure the Boli demo only (no district)")
    parser.add_argument("--frames", action="store_true",
                        help="also print where the warm first paint went (draws, shaders, "
                             "long tasks)")
    args = parser.parse_args(argv)
    if args.demo_only:
        with tempfile.TemporaryDirectory() as tmp_name:
            measure_demo(Path(tmp_name), frames=args.frames)
        return
    n = args.buildings
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print(f"== district: {n} buildings, {PARCELS} parcels, road grid ==")
        t0 = time.perf_counter()
        paths = write_district(tmp / "src", n)
        print(f"  sources written in {time.perf_counter() - t0:.1f} s")
        store = ParquetStore(tmp / "district")
        timings = import_district(store, paths)
        for name, (secs, tiles_s) in timings.items():
            print(f"  import {name}: {secs:.1f} s, of which tiles {tiles_s:.1f} s")
        feat_s, pyr_s = tile_build_alone(store, n, tmp)
        per = (feat_s + pyr_s) / n * 100_000
        print(f"  tile build of the buildings alone: features {feat_s:.1f} s + pyramid "
              f"{pyr_s:.1f} s = {per:.1f} s per 100k buildings (target ≤ 10 s; in the "
              f"import {timings['buildings'][1] / n * 100_000:.1f} s per 100k)")
        if args.no_browser:
            return
        if not Path("/usr/bin/chromium").exists():
            print("browser figures skipped: /usr/bin/chromium is not installed")
            return
        measure_demo(tmp, frames=args.frames)
        big_tiles = first_paint(store.root, f"{n // 1000}k", tiles=True, pan=True,
                                frames=args.frames)
        show(big_tiles)
        big_whole = None
        if not args.no_whole:
            big_whole = first_paint(store.root, f"{n // 1000}k", tiles=False, timeout_s=240)
            show(big_whole)
        compare(big_tiles, big_whole)


if __name__ == "__main__":
    main()
