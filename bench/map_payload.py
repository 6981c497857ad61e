"""Map payload and speed: twin's compact deck vs pydeck's default serialisation.

Prints, for synthetic towns of 10k and 100k LOD1 buildings:

* bytes per building in the JSON that goes to the browser (target ≤ 150 B);
* the time to build the deck JSON (target ≤ 1 s for 100k), both from the store frame
  ("cold": reprojection, rounding, encoding) and from the cached prepared data ("warm",
  what a rerun of the page costs);
* next to pydeck's default path on the same buildings (a PolygonLayer over the records,
  ``Deck.to_json()``: indented and sorted), as a ratio.

Then, in headless Chromium (skipped when /usr/bin/chromium or playwright is missing), the
first-paint time of the map for the demo store (``layers/``, when built) and the small
town, and whether a synthetic 100k-building town renders.

Run: ``.venv/bin/python bench/map_payload.py [--no-browser] [--big N]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pydeck as pdk  # noqa: E402  (bench of twin.render, the pydeck home)
from small_town import build_town, synthetic_buildings  # noqa: E402

from twin.crs import to_wgs84  # noqa: E402
from twin.io.report import LayerData  # noqa: E402
from twin.render import build_deck, deck_layers, overview_view, prepare_layer  # noqa: E402
from twin.render.palette import BUILDING_USE_COLORS, building_use_group  # noqa: E402
from twin.store import ParquetStore  # noqa: E402


def pydeck_default(frame) -> tuple[float, int]:
    """Seconds and bytes of the plain pydeck path: a records list with lon/lat polygons,
    a colour per row, and ``Deck.to_json()``."""
    t0 = time.perf_counter()
    wgs = to_wgs84(frame)
    records = []
    for row, geom in zip(frame.itertuples(index=False), wgs.geometry):
        records.append({"id": row.id, "name": row.name, "use": row.use,
                        "height_m": row.height_m,
                        "polygon": [list(c) for c in geom.exterior.coords],
                        "color": list(BUILDING_USE_COLORS[building_use_group(row.use)])})
    layer = pdk.Layer("PolygonLayer", data=records, get_polygon="polygon",
                      get_elevation="height_m", get_fill_color="color", extruded=True,
                      pickable=True)
    deck = pdk.Deck(layers=[layer], initial_view_state={"longitude": 119.9, "latitude": 35.73,
                                                        "zoom": 12})
    text = deck.to_json()
    return time.perf_counter() - t0, len(text.encode("utf-8"))


def twin_compact(frame, data_dir) -> tuple[float, float, int, int]:
    """Seconds cold (frame → JSON), seconds warm (prepared data → JSON), bytes of data and
    bytes of the deck spec message when the data are served as files (as the app does)."""
    t0 = time.perf_counter()
    prepared = prepare_layer(frame, "building", name="buildings")
    t1 = time.perf_counter()
    layers, data = deck_layers(prepared)
    deck = build_deck(layers, data, view=overview_view(prepared.bounds))
    text = deck.to_json()
    t2 = time.perf_counter()
    spec = build_deck(layers, data, view=overview_view(prepared.bounds), data_dir=data_dir,
                      data_url="app/static/cache/").to_json()
    return t2 - t0, t2 - t1, len(text.encode("utf-8")), len(spec.encode("utf-8"))


def payload_table(sizes) -> None:
    print(f"{'buildings':>10} {'pydeck B/bldg':>14} {'twin B/bldg':>12} {'bytes ratio':>12} "
          f"{'spec msg B':>11} {'pydeck s':>9} {'twin cold s':>12} {'twin warm s':>12} "
          f"{'speedup':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            frame = synthetic_buildings(n)
            base_s, base_b = pydeck_default(frame)
            cold_s, warm_s, ours_b, spec_b = twin_compact(frame, Path(tmp))
            print(f"{n:>10} {base_b / n:>14.1f} {ours_b / n:>12.1f} {base_b / ours_b:>11.1f}x "
                  f"{spec_b:>11} {base_s:>9.2f} {cold_s:>12.2f} {warm_s:>12.3f} "
                  f"{base_s / cold_s:>7.1f}x")


def first_paint(store_path, label: str, timeout_s: float = 120.0) -> None:
    from app_server import browser, streamlit_app, wait_for_map

    with tempfile.TemporaryDirectory() as tmp:
        try:
            with streamlit_app(store_path, log_path=Path(tmp) / "st.log") as url, \
                    browser() as (page, outside):
                t0 = time.perf_counter()
                page.goto(url)
                wait_for_map(page, timeout_s=timeout_s)
                seconds = time.perf_counter() - t0
                # a second load: the server's caches are warm
                t1 = time.perf_counter()
                page.reload()
                wait_for_map(page, timeout_s=timeout_s)
                warm = time.perf_counter() - t1
                shot = ROOT / "tests" / "_screenshots" / f"bench_{label.split()[0]}.png"
                shot.parent.mkdir(exist_ok=True)
                page.screenshot(path=str(shot))
                # SwiftShader draws on the CPU: the figures move with the machine's load.
                load = os.getloadavg()[0]
                print(f"first paint {label}: {seconds:.2f} s cold server, {warm:.2f} s warm "
                      f"(target ≤ 3 s; load average {load:.2f} on {os.cpu_count()} cores); "
                      f"outside requests: {len(outside)}; screenshot {shot.name}")
        except (TimeoutError, RuntimeError) as exc:
            print(f"first paint {label}: FAILED ({exc})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--big", type=int, default=100_000,
                        help="buildings in the synthetic town rendered in the browser")
    args = parser.parse_args(argv)
    print("== payload and deck build (baseline: pydeck default Deck.to_json) ==")
    payload_table((10_000, 100_000))
    if args.no_browser:
        return
    if not Path("/usr/bin/chromium").exists():
        print("browser figures skipped: /usr/bin/chromium is not installed")
        return
    print("== first paint in headless Chromium ==")
    with tempfile.TemporaryDirectory() as tmp:
        demo = ROOT / "layers"
        if (demo / "catalog.json").exists():
            copy = Path(tmp) / "demo"
            shutil.copytree(demo, copy)  # a snapshot: the demo may be rebuilt meanwhile
            first_paint(copy, "demo store (layers/)")
        else:
            print("demo store not built (run `twin demo`); skipped")
        small = build_town(ParquetStore(Path(tmp) / "small"))
        first_paint(small.root, "small town")
        big = ParquetStore(Path(tmp) / "big")
        big.commit([LayerData("buildings", "building", synthetic_buildings(args.big))])
        first_paint(big.root, f"synthetic {args.big} buildings", timeout_s=240)


if __name__ == "__main__":
    main()
