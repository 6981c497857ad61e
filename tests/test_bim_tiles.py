"""BIM detail tiles (twin.tiles.bim): every IFC element with a mesh is one feature in
exactly one detail tile, its triangles where pyproj puts its vertices; the level below holds
the building as a block that picks nothing; the map draws them with a TileLayer instead of
sending triangles in the first spec, and a picked element shows its class, GlobalId and
property sets; an IFC import builds the BIM tiles."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from small_town import build_town
from streamlit.testing.v1 import AppTest

from twin.crs import WGS84, transform_xy
from twin.render.tiles import tile_layer
from twin.tiles import build_store_tiles, tileset_url

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def tiles_dir(tmp_path, monkeypatch):
    root = tmp_path / "tiles"
    monkeypatch.setenv("TWIN_TILES_DIR", str(root))
    return root


def _level(folder: Path, z: int) -> list[dict]:
    return [f for path in sorted((folder / str(z)).glob("*/*.json"))
            for f in json.loads(path.read_text("utf-8"))]


def test_elements_round_trip_one_feature_each(store, tiles_dir):
    build_town(store)
    ts = {name: t for name, t, _ in build_store_tiles(store, ["bim"])}["bim"]
    assert ts.kind == "bim_element" and ts.minzoom == ts.maxzoom - 1
    frame = store.read("bim")
    detail = _level(tiles_dir / ts.key, ts.maxzoom)
    assert sorted(f["properties"]["k"] for f in detail) == list(range(len(frame)))
    base = min(float(np.frombuffer(v, "<f4").reshape(-1, 3)[:, 2].min()) + z
               for v, z in zip(frame["mesh_vertices"], frame["origin_z"]))
    for feature in detail:
        k = feature["properties"]["k"]
        row = frame.iloc[k]
        assert feature["properties"]["t"].startswith(f"{row['ifc_class']} · ")
        verts = np.frombuffer(row["mesh_vertices"], "<f4").reshape(-1, 3).astype(float)
        faces = np.frombuffer(row["mesh_faces"], "<u4").reshape(-1, 3)
        lon, lat = transform_xy(verts[:, 0] + row["origin_x"], verts[:, 1] + row["origin_y"],
                                frame.crs, WGS84)
        want = np.column_stack([lon, lat, verts[:, 2] + row["origin_z"] - base])[faces]
        got = np.array([poly[0] for poly in feature["geometry"]["coordinates"]])
        assert feature["geometry"]["type"] == "MultiPolygon" and got.shape == want.shape
        assert np.abs(got[..., :2] - want[..., :2]).max() < 1e-7  # about 1 cm
        assert np.abs(got[..., 2] - want[..., 2]).max() < 0.01
    blocks = _level(tiles_dir / ts.key, ts.minzoom)
    assert blocks and {f["properties"]["k"] for f in blocks} == {-1}  # blocks pick nothing
    roof = max(c[2] for f in blocks for c in f["geometry"]["coordinates"][0])
    assert roof == pytest.approx(18.5)  # slab at 0 up to the roof's top
    assert {g[0]: g[2] for g in ts.groups[""]} == {"IfcRoof": 1, "IfcSlab": 1, "IfcWall": 2}

    layer = json.loads(tile_layer(ts, name="bim", url=tileset_url(ts)).to_json())
    assert layer["@@type"] == "TileLayer" and layer["_full3d"] is True
    assert layer["data"] == tileset_url(ts) and "{z}/{x}/{y}.json" in layer["data"]
    assert layer["minZoom"] == ts.minzoom and layer["maxZoom"] == ts.maxzoom
    assert layer["getFillColor"] == "@@=properties.c" and layer["pickable"] is True


def _deck(at) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


def test_map_draws_bim_from_tiles_and_picks_an_element(store, monkeypatch):
    build_town(store)
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    deck = _deck(at)
    bim = [layer for layer in deck["layers"] if layer["id"].startswith("bim::")]
    assert [layer["@@type"] for layer in bim] == ["TileLayer"]  # no triangles in the spec
    assert not at.get("toggle") or all(t.key != "bim_all" for t in at.get("toggle"))
    lod1 = [o["t"] for layer in deck["layers"] if layer["id"] == "buildings::polygon"
            for o in json.loads((Path(APP).parent / layer["data"][4:]).read_text("utf-8"))]
    assert lod1 and not any("港务大楼" in t for t in lod1)  # the BIM tiles draw its block
    at.session_state["map"] = {"selection": {
        "indices": {bim[0]["id"]: [0]},
        "objects": {bim[0]["id"]: [{"type": "Feature", "properties": {"k": 1, "t": "x"}}]}}}
    at.run()
    assert not at.exception, at.exception
    panel = [m.value for m in at.markdown if "<table" in m.value][0]
    assert "2O2Fr$t4X7Zf8NOew3FL01" in panel and "IfcWall" in panel
    assert "Pset_Common.Note" in panel and "&lt;b&gt;x&lt;/b&gt;" in panel
