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
