"""twin.render: compact layer data, colours, BIM triangles, the compact deck JSON and its
parity with pydeck's own serialisation, view presets, legends and escaping."""

from __future__ import annotations

import json
import re

import numpy as np
import pydeck as pdk
import pytest
from small_town import synthetic_buildings, town_layers

from twin.render import (
    attribute_html,
    bim_layer,
    bounds_view,
    build_deck,
    deck_layers,
    latest_readings,
    legend_html,
    nudge_view,
    overview_view,
    prepare_bim,
    prepare_layer,
    split_layer_id,
)
from twin.render.bim import shade
from twin.render.palette import building_use_group, height_bin, land_use_color, land_use_group


@pytest.fixture(scope="module")
def layers():
    return {item.name: item for item in town_layers()}


def test_land_use_colours_follow_gb50137_classes():
    assert land_use_color("R2") == (255, 255, 0)
    assert land_use_color("R22") == land_use_color("R2")  # sub-class falls back to its parent
    assert land_use_group("b1") == "B" and land_use_color("B1") == (255, 0, 0)
    assert land_use_group(None) == "?" and land_use_group("XYZ") == "?"
    assert building_use_group("住宅") == "residential"
    assert height_bin(5) == 0 and height_bin(30) == 2 and height_bin(200) == 4


def test_buildings_payload_is_compact_and_complete():
    frame = synthetic_buildings(500)
    prepared = prepare_layer(frame, "building", name="buildings")
    records = prepared.records()
    assert len(records) == 500 and len(prepared.parts) == 1
    assert sorted(r["k"] for r in records) == list(range(500))
    rec = records[0]
    assert set(rec) == {"p", "h", "t", "k", "c"}
    assert prepared.parts[0].palette[rec["c"]] == next(
        g.color for g in prepared.groups if g.key == frame["use"].iloc[rec["k"]])
    ring = rec["p"][0]
    assert len(ring) == 4  # the closing vertex is dropped
    assert all(len(str(c).split(".")[-1]) <= 6 for pt in ring for c in pt)  # ~0.1 m
    # ≈145 B for the drawn block, ≈150 B for the roof that is picked instead (with the
    # tooltip and row): software WebGL picks the roofs in time for a click, not the blocks
    assert prepared.payload_bytes / 500 <= 300
    roofs = json.loads(prepared.parts[0].pick_data)
    assert len(roofs) == 500 and len(roofs[0]["p"][0]) == 3  # lon, lat, roof height
    assert roofs[0]["p"][0][2] == pytest.approx(rec["h"] + 0.05)
    west, south, east, north = prepared.bounds
    assert 119.89 < west < east < 120.0 and 35.72 < south < north < 35.8


def test_lonlat_positions_match_pyproj(layers):
    from twin.crs import transform_xy

    frame = layers["buildings"].data
    prepared = prepare_layer(frame, "building", name="b")
    recs = {r["k"]: r for r in prepared.records()}
    x, y = frame.geometry.iloc[0].exterior.coords[0]
    lon, lat = transform_xy([x], [y], frame.crs, "EPSG:4326")
    assert recs[0]["p"][0][0] == pytest.approx([lon[0], lat[0]], abs=1e-6)


def test_every_drawn_kind(layers):
    for name, kind in (("parcels", "parcel"), ("roads", "road"), ("rivers", "river"),
                       ("facilities", "facility"), ("sensors", "sensor")):
        prepared = prepare_layer(layers[name].data, kind, name=name)
        assert sum(g.count for g in prepared.groups) == len(layers[name].data), name
    roads = prepare_layer(layers["roads"].data, "road", name="roads")
    arterial = next(r for r in roads.records() if r["t"].startswith("滨海大道"))
    assert arterial["w"] == 30.0 and len(arterial["p"]) == 2
    assert roads.parts[0].palette[arterial["c"]] == \
        next(g.color for g in roads.groups if g.key == "arterial")


def test_hidden_buildings_and_colour_by_height(layers):
    frame = layers["buildings"].data
    prepared = prepare_layer(frame, "building", name="b", hidden_ids=("IFC-B1",),
                             color_by="height")
    assert sum(g.count for g in prepared.groups) == len(frame) - 1
    assert all(g.key.startswith("h") for g in prepared.groups)


def test_sensors_show_latest_reading_and_alarm(layers):
    latest = latest_readings(layers["readings"].data, layers["sensors"].data)
    row = latest.set_index("sensor_id").loc["S1"]
    assert row["value"] == 2.9 and row["threshold"] == 2.5 and bool(row["alarm"])
    assert not bool(latest.set_index("sensor_id").loc["S2", "alarm"])
    prepared = prepare_layer(layers["sensors"].data, "sensor", name="s", latest=latest)
    index = [g.key for g in prepared.groups].index("alarm")
    alarmed = [r for r in prepared.records() if r["c"] == index]
    assert len(alarmed) == 1 and "2.9 m" in alarmed[0]["t"]


def test_bim_triangles_in_meter_offsets(layers):
    detail = prepare_bim(layers["bim"].data, "IFC-B1")
    assert detail.elements == 4 and detail.triangles == 48
    tris = json.loads(detail.data)
    zs = [pt[2] for tri in tris for pt in tri["p"]]
    assert min(zs) == 0.0 and max(zs) == pytest.approx(18.5)  # stands on the ground
    xs = [pt[0] for tri in tris for pt in tri["p"]]
    assert -25 < min(xs) < 0 < max(xs) < 25  # offsets around the building's centre
    deck_ls, data = bim_layer(detail, name="bim")
    spec = json.loads(build_deck(deck_ls, data, view=overview_view(None)).to_json())
    layer = spec["layers"][0]
    assert layer["@@type"] == "SolidPolygonLayer" and layer["_full3d"] is True
    assert layer["coordinateSystem"] == "meter-offsets"
    assert layer["coordinateOrigin"] == pytest.approx(list(detail.origin))
    assert prepare_bim(layers["bim"].data, "nope") is None


def test_face_shading_depends_on_the_normal(layers):
    base = np.array([[200.0, 100.0, 50.0]] * 2)
    up, side = shade(np.array([[0, 0, 1.0], [1.0, 0, 0]]), base)
    assert (up > side).all() and (up <= base[0]).all()
    # on a drawn model: every element's flat faces are lit more than its vertical sides
    tris = json.loads(prepare_bim(layers["bim"].data, "IFC-B1").data)
    lit: dict[tuple[str, bool], set[int]] = {}
    for tri in tris:
        a, b, c = (np.array(p) for p in tri["p"])
        normal = np.cross(b - a, c - a)
        flat = abs(normal[2]) > 0.99 * np.linalg.norm(normal)
        lit.setdefault((tri["t"], flat), set()).add(sum(tri["c"]))
    elements = {name for name, _ in lit}
    assert len(elements) == 4
    for name in elements:
        assert min(lit[(name, True)]) > max(lit[(name, False)]), name


def test_compact_deck_matches_pydeck_serialisation(layers):
    prepared = prepare_layer(layers["buildings"].data, "building", name="buildings")
    deck_ls, data = deck_layers(prepared, opacity=0.5)
    view = overview_view(prepared.bounds)
    compact = build_deck(deck_ls, data, view=view)
    text = compact.to_json()
    assert "\n" not in text and ": " not in text
    # the same deck through pydeck's own (indented, sorted) serialisation
    for layer in deck_ls:
        layer.data = json.loads(data[layer.id])
    reference = pdk.Deck(layers=deck_ls, initial_view_state=view,
                         map_style=compact.map_style, map_provider=None)
    assert json.loads(text) == json.loads(reference.to_json())
    assert len(text) < len(reference.to_json()) / 2


def test_attribute_panel_and_legend_escape_html():
    html = attribute_html([("<b>", "<script>alert(1)</script>"), ("n", float("nan"))],
                          title="<t>")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;t&gt;" in html
    legend = legend_html([("<i>x</i>", (1, 2, 3), 4)])
    assert "&lt;i&gt;" in legend and "#010203" in legend


def test_view_presets():
    view = bounds_view((119.90, 35.73, 119.91, 35.74))
    assert view["longitude"] == pytest.approx(119.905) and 12 < view["zoom"] < 17
    small = bounds_view((119.90, 35.73, 119.9005, 35.7305))
    assert small["zoom"] > view["zoom"]
    assert nudge_view(view, 0) == view
    moved = nudge_view(view, 3)
    assert all(moved[k] != view[k] for k in ("longitude", "latitude", "zoom", "pitch"))
    assert split_layer_id("bim::IFC-B1") == ("bim", "IFC-B1")


def test_layer_data_served_as_content_addressed_files(layers, tmp_path):
    prepared = prepare_layer(layers["parcels"].data, "parcel", name="parcels")
    deck_ls, data = deck_layers(prepared)
    deck = build_deck(deck_ls, data, view=overview_view(prepared.bounds),
                      data_dir=tmp_path / "cache", data_url="app/static/cache/")
    spec = json.loads(deck.to_json())
    for layer in spec["layers"]:
        url = layer["data"]
        assert url.startswith("app/static/cache/") and url.endswith(".json")
        path = tmp_path / "cache" / url.rsplit("/", 1)[1]
        assert path.read_text(encoding="utf-8") == data[layer["id"]]
    assert deck.payload_bytes() == len(deck.to_json().encode()) + deck.data_bytes()
    # the outline layer draws the fill's data: one file for both
    n = len(set(data.values()))
    assert len(list((tmp_path / "cache").glob("*.json"))) == n == len(spec["layers"]) - 1
    from twin.render import prune_data_dir

    assert prune_data_dir(tmp_path / "cache", max_bytes=0) == n  # over the size bound
    deck.publish()  # written again on need
    assert prune_data_dir(tmp_path / "cache", keep=1) == n - 1
    prune_data_dir(tmp_path / "cache", max_bytes=0)
    assert json.loads(deck.to_json()) == spec
    assert not list((tmp_path / "cache").glob("*.json"))  # to_json is pure: writes nothing


def _pick_colour(expr: str, c: int) -> list[int]:
    """Evaluate ``c<N?(A):(B)`` / ``[r,g,b,a]`` the way deck.gl's expression evaluator does."""
    m = re.match(r"c<(\d+)\?\(", expr)
    if not m:
        return json.loads(expr)
    depth, i = 1, m.end()
    while depth:
        depth += {"(": 1, ")": -1}.get(expr[i], 0)
        i += 1
    then, rest = expr[m.end():i - 1], expr[i:]
    assert rest.startswith(":(") and rest.endswith(")")
    return _pick_colour(then if c < int(m.group(1)) else rest[2:-1], c)


def test_one_deck_layer_per_geometry_with_a_palette(layers):
    prepared = prepare_layer(layers["parcels"].data, "parcel", name="parcels")
    deck_ls, data = deck_layers(prepared)
    # the fill is picked; the outline (a path layer, slow to pick in software WebGL) is not
    assert [layer.id for layer in deck_ls] == ["parcels::polygon", "parcels::outline"]
    assert [bool(layer.pickable) for layer in deck_ls] == [True, False]
    spec = json.loads(build_deck(deck_ls, data, view=overview_view(None)).to_json())
    fill = spec["layers"][0]["getFillColor"]
    assert fill.startswith("@@=c<")
    # the expression deck.gl evaluates picks each class's colour
    picked = [_pick_colour(fill[3:], c)[:3] for c in range(len(prepared.groups))]
    assert picked == [list(g.color) for g in prepared.groups]
    # a one-colour part gets a one-colour expression (a per-object attribute in deck.gl,
    # the same vertex layout as the many-colour layers)
    rivers = prepare_layer(layers["rivers"].data, "river", name="rivers")
    river_ls, _ = deck_layers(rivers)
    river_fill = json.loads(build_deck(river_ls, {}, view=overview_view(None)).to_json())
    assert json.loads(river_fill["layers"][0]["getFillColor"][3:])[:3] == [110, 180, 235]


def test_a_scene_collects_layers_data_and_bounds(layers, tmp_path):
    from twin.render.scenario import outline_layer
    from twin.render.scene import Scene

    parcels = layers["parcels"].data
    scene = Scene().add_frame(parcels, "parcel", name="parcels")
    alone = prepare_layer(parcels, "parcel", name="parcels")
    assert scene.extent() == alone.bounds
    scene.add(outline_layer(parcels.iloc[:1].assign(t="P"), name="changed"),
              bounds_of=parcels.iloc[:1])
    ids = [layer.id for layer in scene.layers]
    assert ids[0].startswith("parcels::") and any(i.startswith("changed") for i in ids)
    assert set(scene.data) == set(ids)
    deck = scene.deck(scene.overview(), data_dir=tmp_path / "cache", data_url="app/static/cache/")
    spec = json.loads(deck.to_json())
    assert [layer["id"] for layer in spec["layers"]] == ids
    assert spec["initialViewState"] == json.loads(json.dumps(overview_view(alone.bounds)))
    # published: every layer's data file is written (layers with the same data share one)
    files = {p.name for p in (tmp_path / "cache").glob("*.json")}
    assert {layer["data"].rsplit("/", 1)[-1] for layer in spec["layers"]} == files
