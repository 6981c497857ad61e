"""The planning review report: HTML with indicators, violations, maps and evidence; PDF."""

from __future__ import annotations

import re
import zlib

import pytest
from query_frames import buildings, parcels, rivers

from twin.cli import main
from twin.io.report import LayerData
from twin.kinds import conform
from twin.report import render_html, svg_map, write_report
from twin.report.fonts import cjk_font
from twin.report.review import build_review


@pytest.fixture
def town(store):
    p = parcels([
        {"id": "P1", "name": "居住<一>", "land_use": "R2", "max_far": 0.5, "max_density": 0.1,
         "max_height_m": 24.0, "min_green_ratio": 0.35, "box": (0, 0, 100, 100)},
        {"id": "P2", "name": "商业", "land_use": "B1", "max_far": 2.0, "max_density": 0.5,
         "max_height_m": 50.0, "min_green_ratio": 0.2, "box": (120, 0, 220, 100)},
    ])
    b = buildings([
        {"id": "B1", "use": "R2", "height_m": 15.0, "floors": 5, "box": (10, 30, 30, 50)},
        {"id": "B2", "use": "R2", "height_m": 30.0, "floors": 10, "box": (50, 50, 60, 80)},
        {"id": "NEAR", "use": "B1", "height_m": 9.0, "floors": 3, "box": (130, 5, 150, 15)},
        {"id": "IFC-1", "use": "B1", "height_m": 12.0, "gfa_m2": 777.0,
         "ifc_guid": "3vB2YO$MX4xv5uCqZZG05x", "box": (160, 40, 180, 60)},
    ])
    r = rivers([{"id": "H1", "name": "横河", "width_m": 10.0, "setback_m": 15.0,
                 "coords": [(-100, -5), (300, -5)]}])
    store.commit([LayerData("parcels", "parcel", conform(p, "parcel")[0]),
                  LayerData("buildings", "building", conform(b, "building")[0]),
                  LayerData("rivers", "river", conform(r, "river")[0])])
    return store


def test_review_collects_indicators_setbacks_and_evidence(town):
    review = build_review(town, ["P1"], sunlight=False)
    assert list(review.parcels["id"]) == ["P1"]
    assert sorted(review.evidence["building_id"]) == ["B1", "B2"]
    assert review.setbacks.empty                 # NEAR is on P2, not reviewed here
    review = build_review(town, None, sunlight=False)
    assert list(review.setbacks["building_id"]) == ["NEAR"]   # 10 m from the edge < 15 m


def test_html_report_has_the_content(town, tmp_path):
    out = tmp_path / "report.html"
    paths = write_report(town, out, parcels=None)
    assert paths == [out]
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "规划审查报告" in page
    assert "居住&lt;一&gt;" in page                      # names are escaped
    assert "Noto Sans CJK SC" in page
    assert page.count("<svg") == 3      # overview + P1 (height fails) + P2 (setback)
    evidence = {row[0]: row for row in _table_rows(page) if row and row[0] in ("IFC-1", "B1")}
    # the IFC building's row: its GlobalId, footprint, share, GFA from the model, method ifc
    assert evidence["IFC-1"][:6] == ["IFC-1", "3vB2YO$MX4xv5uCqZZG05x", "400", "1", "777", "ifc"]
    # a block building's GFA is floors × footprint (5 × 400 m²), and says so
    assert evidence["B1"][:6] == ["B1", "", "400", "1", "2,000", "lod1:floors×footprint"]
    assert "NEAR" in page and "横河" in page             # the setback violation
    assert "建筑高度 Height (m)" in page and "不合格 fail" in page
    assert "大寒" in page                                # sunlight section


def test_details_only_for_failing_parcels(town, tmp_path, capsys):
    out = tmp_path / "all.html"
    write_report(town, out, sunlight=False, road_setback_m=0.0, details="failing")
    page = out.read_text(encoding="utf-8")
    assert "2 of 2 parcels" in page
    review = build_review(town, None, sunlight=False)
    review.setbacks = review.setbacks.iloc[0:0]                  # P2 without its violation
    page = render_html(review, details="failing")
    assert "1 of 2 parcels" in page and page.count("<svg") == 2
    assert "Parcel P2" not in page and "Parcel P1" in page
    assert main(["--store", str(town.root), "report", "--all", "--details", "some",
                 "--out", str(out)]) == 1
    assert "--details takes all or failing" in capsys.readouterr().err


def test_pdf_from_the_same_html(town, tmp_path):
    paths = write_report(town, tmp_path / "r.html", parcels=["P1"], pdf=True, sunlight=False)
    pdf = paths[1]
    data = pdf.read_bytes()
    assert pdf.suffix == ".pdf" and data.startswith(b"%PDF") and len(data) > 5000
    if cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk): the embedding "
                    "check needs one; test_pdf_without_cjk_font covers this machine")
    assert any(b"NotoSansCJK" in s for s in _streams(data))   # the CJK font is embedded


def test_pdf_without_cjk_font_warns_in_footer_and_cli(town, tmp_path, monkeypatch, capsys):
    from twin.report import fonts, pdf

    monkeypatch.setattr(pdf, "cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    page = pdf.with_font_warning("<html><body><p>审查</p></body></html>")
    assert page.endswith("</body></html>") and "fonts-noto-cjk" in page
    assert page.index("fonts-noto-cjk") > page.index("审查")        # in the footer
    out = tmp_path / "r.pdf"
    assert main(["--store", str(town.root), "report", "--parcel", "P1", "--out", str(out),
                 "--no-sunlight"]) == 0
    err = capsys.readouterr().err
    warning = [line for line in err.splitlines() if "no CJK font" in line]
    assert len(warning) == 1 and "fonts-noto-cjk" in warning[0]
    assert out.read_bytes().startswith(b"%PDF")


def test_pdf_with_cjk_font_has_no_warning(monkeypatch):
    from twin.report import pdf

    monkeypatch.setattr(pdf, "cjk_font", lambda: "Noto Sans CJK SC")
    page = "<html><body>x</body></html>"
    assert pdf.with_font_warning(page) == page


def _table_rows(page: str) -> list[list[str]]:
    """The text of every table row's cells in an HTML page."""
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", page)]


def _streams(data: bytes):
    for m in re.finditer(rb"stream\r?\n", data):
        try:
            yield zlib.decompressobj().decompress(data[m.end():m.end() + 2_000_000])
        except zlib.error:
            continue


def test_cli_report(town, tmp_path, capsys):
    out = tmp_path / "one.html"
    assert main(["--store", str(town.root), "report", "--parcel", "P2", "--out", str(out),
                 "--no-sunlight"]) == 0
    assert "wrote report" in capsys.readouterr().out
    assert "NEAR" in out.read_text(encoding="utf-8")
    assert main(["--store", str(town.root), "report", "--out", str(out)]) == 1
    assert "--parcel ID" in capsys.readouterr().err
    assert main(["--store", str(town.root), "report", "--parcel", "X", "--out",
                 str(out)]) == 1
    assert "no parcel with id 'X'" in capsys.readouterr().err


def test_svg_map_is_standalone():
    import shapely

    svg = svg_map([], width=100)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    from twin.report import MapLayer

    svg = svg_map([MapLayer([shapely.box(0, 0, 10, 10), shapely.box(20, 0, 30, 5)],
                            fill="#f00", titles=["<b>", "c"])], width=100)
    assert "&lt;b&gt;" in svg and "<b>" not in svg and svg.count('fill="#f00"') == 2
    boxes = []
    for d in re.findall(r'<path d="(M[^"]+Z)" fill-rule', svg):
        xy = [tuple(map(float, p.split())) for p in re.findall(r"[ML]([\d.]+ [\d.]+)", d)]
        xs, ys = zip(*xy, strict=True)
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = boxes
    assert abs((ax1 - ax0) - (bx1 - bx0)) < 0.2               # both 10 m wide: one scale
    assert abs((ay1 - ay0) - 2 * (by1 - by0)) < 0.2           # 10 m tall vs 5 m tall
    assert abs(ay1 - by1) < 0.2 and bx0 > ax1                 # same baseline y=0, B east of A
    assert 0 <= ax0 and bx1 <= 100                            # inside the 100 px frame
    bar = re.search(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"[^>]*/><text[^>]*>(\d+) m<', svg)
    px_per_m = (ax1 - ax0) / 10
    assert abs(float(bar.group(1)) - int(bar.group(2)) * px_per_m) < 0.2  # the scale bar is true


def test_cli_report_with_viewpoint_scenario_and_capacity(town, tmp_path, capsys):
    from query_frames import X0, Y0

    from twin.crs import working_crs
    from twin.scenario import AddBuilding, Scenario, save_scenario

    tower = [(X0 + 40, Y0 + 110), (X0 + 60, Y0 + 110), (X0 + 60, Y0 + 130), (X0 + 40, Y0 + 130)]
    save_scenario(town, Scenario("tower", [AddBuilding(footprint=tuple(tower), height_m=90,
                                                       use="B1", id="TW",
                                                       crs=working_crs().to_string())]))
    out = tmp_path / "view.html"
    vp = f"{X0 + 110},{Y0 + 50}"
    assert main(["--store", str(town.root), "report", "--parcel", "P2", "--out", str(out),
                 "--no-sunlight", "--capacity", "--viewpoint", vp, "--radius-m", "150",
                 "--targets", f"{X0},{Y0 + 40}", "--scenario", "tower"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "容量测算 Parcel capacity" in page and "通视与可视域" in page
    assert page.count('class="series"') == 2             # skyline before and after
    assert "<td>blocked</td><td>B1</td>" in page         # the target is behind B1
    assert "TW" in page                                  # the tower makes the new skyline
    assert main(["--store", str(town.root), "report", "--parcel", "P2", "--out", str(out),
                 "--scenario", "tower"]) == 1
    assert "need --viewpoint" in capsys.readouterr().err
