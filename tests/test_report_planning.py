"""The review report's planning sections: control envelope, height limits and window
sunlight of the reviewed parcels."""

from __future__ import annotations

from query_frames import buildings, parcels

from twin.report import write_report
from twin.report.review import build_review, render_html


def _frames():
    p = parcels([{"id": "P1", "name": "A", "land_use": "R2", "max_far": 3.0, "max_density": 0.5,
                  "max_height_m": 24.0, "min_green_ratio": 0.2, "box": (0, 0, 100, 100)},
                 {"id": "P2", "name": "B", "land_use": "R2", "max_far": 3.0, "max_density": 0.5,
                  "max_height_m": 60.0, "min_green_ratio": 0.2, "box": (0, -100, 100, 0)}])
    b = buildings([
        {"id": "HOME", "use": "R2", "height_m": 27.0, "floors": 9, "base_elev_m": 0.0,
         "box": (10, 30, 90, 42)},                 # 3 m over P1's 24 m limit
        {"id": "TOWER", "use": "B1", "height_m": 60.0, "floors": 20, "base_elev_m": 0.0,
         "box": (-80, -25, 180, -5)},              # a long slab south of the home
    ])
    return {"parcel": p, "building": b}


def test_report_lists_the_envelope_excess_and_the_dark_windows(tmp_path):
    review = build_review(_frames(), ["P1"])
    env = review.planning.envelope.set_index("id")
    assert env.loc["P1", "volume_outside_m3"] == 80 * 12 * 3.0
    assert list(review.planning.height["id"]) == ["HOME"]
    assert review.planning.windows is not None and len(review.planning.windows)
    assert set(review.planning.windows["building_id"]) == {"HOME"}
    page = render_html(review)
    assert "控规盒 Control envelope" in page and "2,880" in page
    assert "窗户日照 Window sunlight (GB 50180-2018)" in page
    assert "HOME/W001/F01" in page  # per-window rows
    out = write_report(_frames(), tmp_path / "r.html", parcels=["P1"])
    assert "限高 Height limits" in out[0].read_text(encoding="utf-8")


def test_whole_town_report_says_windows_are_for_chosen_parcels():
    page = render_html(build_review(_frames()))
    assert "控规盒 Control envelope" in page
    assert "Window sunlight is computed for chosen parcels" in page


# -- capacity, viewshed / sight lines and skyline sections ---------------------------------
import re  # noqa: E402

import geopandas as gpd  # noqa: E402
import pandas as pd  # noqa: E402
from query_frames import X0, Y0  # noqa: E402

from twin.query import run  # noqa: E402
from twin.report.planning import skyline_svg  # noqa: E402

_VP = f"{X0 + 30},{Y0 - 20}"


def _view_town():
    p = parcels([{"id": "P1", "name": "A", "land_use": "R2", "max_far": 2.0, "max_density": 0.3,
                  "max_height_m": 24.0, "min_green_ratio": 0.3, "box": (0, 0, 100, 100)},
                 {"id": "P2", "name": "B", "land_use": "B1", "max_far": 3.0, "max_density": 0.5,
                  "max_height_m": 60.0, "min_green_ratio": 0.2, "box": (0, -200, 100, 0)}])
    b = buildings([
        {"id": "A", "use": "B1", "height_m": 30.0, "floors": 8, "base_elev_m": 0.0,
         "box": (20, -60, 40, -40)},
        {"id": "B", "use": "B1", "height_m": 10.0, "floors": 3, "base_elev_m": 0.0,
         "box": (60, -60, 80, -40)},
        {"id": "C", "use": "B1", "height_m": 20.0, "floors": 6, "base_elev_m": 0.0,
         "box": (20, -140, 40, -120)},             # behind A, lower: hidden
    ])
    return {"parcel": p, "building": b}


def _after(frames):
    tower = buildings([{"id": "T", "use": "B1", "height_m": 150.0, "floors": 50,
                        "base_elev_m": 0.0, "box": (40, 40, 60, 60)}])
    b = gpd.GeoDataFrame(pd.concat([frames["building"], tower], ignore_index=True),
                         geometry="geometry", crs=frames["building"].crs)
    return {"parcel": frames["parcel"], "building": b}


def _section(page: str, start: str, end: str | None) -> str:
    i = page.index(start)
    return page[i:page.index(end, i)] if end else page[i:]


def test_capacity_section_gives_the_query_gfa_binding_and_the_massing_on_the_map():
    frames = _view_town()
    review = build_review(frames, ["P1"], capacity=True, sunlight=False)
    ref = run("capacity", frames, parcel="P1")
    page = render_html(review)
    sec = _section(page, "<h3>容量测算 Parcel capacity</h3>", "<h2>方法")
    assert f"{ref.summary['gfa_m2']:,.0f}" in sec
    assert ref.summary["gfa_m2"] == review.planning.capacity["P1"].summary["gfa_m2"] > 0
    assert ref.summary["far"] <= ref.summary["far_limit"] * 1.005
    assert f"<td>{ref.summary['binding']}</td>" in sec
    # every massing block is drawn (with its floors and GFA) in P1's parcel map
    parcel_sec = _section(page, "<section class='parcel'><h2>地块 Parcel P1", "</section>")
    for bid, floors in zip(ref.layer["id"], ref.layer["floors"], strict=True):
        assert f"<title>{bid} · {int(floors)} F" in parcel_sec
    assert "容量体块 capacity massing" in parcel_sec


def test_viewpoint_sections_list_the_viewshed_buildings_and_the_sight_lines():
    frames = _view_town()
    target = f"{X0 + 30},{Y0 - 130}"
    review = build_review(frames, ["P2"], sunlight=False, viewpoint=_VP, targets=target,
                          radius_m=200)
    ref = run("viewshed", frames, viewpoint=_VP, radius_m=200)
    seen = sorted(ref.layer["id"])
    assert seen == sorted(review.planning.viewshed.layer["id"])
    assert "A" in seen and "C" not in seen
    page = render_html(review)
    sec = _section(page, "<h3>通视与可视域 Line of sight and viewshed</h3>", "<h3>天际线")
    rows = re.findall(r"<tr><td>([^<]+)</td><td class='num'>", sec)
    assert sorted(set(rows) - {"L1"}) == seen
    assert f"{ref.summary['visible_area_m2']:,.0f} m²" in sec
    assert "<svg" in sec and "可视范围 visible area" in sec
    assert "<td>blocked</td><td>A</td>" in sec      # the line to C is blocked by A


def test_skyline_chart_has_one_point_per_bin_peaking_at_the_query_max_and_overlays_after(
        tmp_path):
    frames = _view_town()
    review = build_review(frames, ["P2"], sunlight=False, viewpoint=_VP, radius_m=200,
                          after=_after(frames))
    ref = run("skyline", frames, viewpoint=_VP, radius_m=3000)
    svg = skyline_svg(review.planning)
    lines = re.findall(r'points="([^"]+)"', svg)
    assert len(lines) == 2                          # before and after overlaid
    ys = [float(p.split(",")[1]) for p in lines[0].split()]
    assert len(ys) == ref.summary["bins"] == 720
    prof = ref.tables["profile"]["elevation_deg"].to_numpy()
    peak = int(prof.argmax())
    assert ys[peak] == min(ys) < ys[0]              # the highest point is the query's max bin
    cy = float(re.search(r'<circle cx="[^"]+" cy="([^"]+)"', svg).group(1))
    assert cy == ys[peak]                           # and it is marked
    assert f"max {ref.summary['max_elevation_deg']:.2f}°" in svg
    after = run("skyline", _after(frames), viewpoint=_VP, radius_m=3000)
    assert after.summary["max_elevation_deg"] > ref.summary["max_elevation_deg"]
    assert f"max {after.summary['max_elevation_deg']:.2f}°" in svg
    page = render_html(review)
    assert "天际线 Skyline" in page and "实施后 after" in page
    out = write_report(frames, tmp_path / "v.html", parcels=["P2"], sunlight=False, pdf=True,
                       viewpoint=_VP, radius_m=200, after=_after(frames), capacity=True)
    assert out[1].read_bytes()[:5] == b"%PDF-" and out[1].stat().st_size > 20_000
