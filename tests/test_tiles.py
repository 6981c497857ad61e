"""Tile pyramids (twin.tiles): every row of a small town is in exactly one tile per zoom
level wherever tiles carry full features, coordinates and attributes survive the trip,
crowded low-zoom tiles become blocks, and the CLI and the import build and reuse them."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from small_town import build_town, synthetic_buildings

from twin.cli import main
from twin.crs import to_wgs84
from twin.importer import import_file
from twin.tiles import (
    build_pyramid,
    build_store_tiles,
    ensure_tileset,
    layer_features,
    tileset_key,
)


@pytest.fixture(autouse=True)
def tiles_dir(tmp_path, monkeypatch):
    root = tmp_path / "tiles"
    monkeypatch.setenv("TWIN_TILES_DIR", str(root))
    return root


def read_level(folder: Path, z: int) -> dict[tuple[int, int], list]:
    """``{(x, y): features}`` of every tile file of zoom ``z``."""
    out = {}
    for path in (folder / str(z)).glob("*/*.json"):
        out[(int(path.parent.name), int(path.stem))] = json.loads(path.read_text("utf-8"))
    return out


def test_small_town_round_trips(store, tiles_dir):
    build_town(store)
    results = {name: (ts, built) for name, ts, built in build_store_tiles(store)}
    assert set(results) == {"buildings", "parcels", "roads", "rivers", "bim"}
    ts, built = results["buildings"]
    assert built and ts.rows == 13 and ts.minzoom <= ts.maxzoom == 16
    frame = store.read("buildings")
    wgs = to_wgs84(frame)
    for z in range(ts.minzoom, ts.maxzoom + 1):
        tiles = read_level(tiles_dir / ts.key, z)
        rows = Counter(f["properties"]["k"] for feats in tiles.values() for f in feats)
        # every building in exactly one tile of this level, at full detail
        assert sorted(rows) == list(range(len(frame))) and set(rows.values()) == {1}, z
    tiles = read_level(tiles_dir / ts.key, ts.maxzoom)
    by_row = {f["properties"]["k"]: (xy, f) for xy, feats in tiles.items() for f in feats}
    for k, (id_, name, height) in enumerate(zip(frame["id"], frame["name"], frame["height_m"])):
        (x, y), feature = by_row[k]
        props = feature["properties"]
        assert props["t"] == f"{name} · {height:g} m" and props["h"] == height
        ring = np.array(feature["geometry"]["coordinates"][0])
        expected = np.array(wgs.geometry.iloc[k].exterior.coords)[:-1]
        assert np.abs(ring - expected).max() < 1e-6, id_  # lon/lat to 1e-6, no closing vertex
        # the tile is the one that holds the building
        n = 2 ** ts.maxzoom
        lon, lat = ring.mean(axis=0)
        assert x == int((lon + 180) / 360 * n)
        assert y == int((1 - np.log(np.tan(np.radians(lat)) + 1 / np.cos(np.radians(lat)))
                         / np.pi) / 2 * n)
    # legend counts from the whole layer
    groups = {g[0]: g[2] for g in ts.groups["use"]}
    assert groups == {"residential": 8, "commercial": 4, "public": 1}
    # parcels and roads keep their attributes too
    parcels, _ = results["parcels"]
    texts = [f["properties"]["t"] for feats in
             read_level(tiles_dir / parcels.key, parcels.maxzoom).values() for f in feats]
    # in the UI's default language (zh): the land use's name, the limits in words
    assert sorted(texts)[0] == "商业地块 · 商业服务业设施用地 B1 · 容积率≤0.5 · 限高≤12 m"
    # the English map gets its own tileset of the same version; the buildings' is shared
    info = {i.name: i for i in store.layers()}
    english, built_en = ensure_tileset(lambda: store.read("parcels"), kind="parcel",
                                       layer="parcels", version=info["parcels"].current,
                                       sha256=info["parcels"].sha256, language="en")
    assert built_en and english.key != parcels.key and english.key.endswith("-en")
    texts_en = sorted(f["properties"]["t"] for feats in
                      read_level(tiles_dir / english.key, english.maxzoom).values()
                      for f in feats)
    assert texts_en[0] == "商业地块 · Commercial and business B1 · FAR ≤ 0.5 · height ≤ 12 m"
    assert tileset_key("building", "b", 1, "abc", "en") == tileset_key("building", "b", 1, "abc")
    # a second build finds the tilesets: same keys, nothing rebuilt
    again = build_store_tiles(store)
    assert [built for _, _, built in again] == [False] * 5
    sha = {i.name: i for i in store.layers()}["buildings"].sha256
    assert dict((n, t.key) for n, t, _ in again)["buildings"] == \
        tileset_key("building", "buildings", 1, sha)


def test_crowded_tiles_become_blocks(tmp_path):
    frame = synthetic_buildings(6000)
    table = layer_features(frame, "building")
    ts = build_pyramid(table, tmp_path / "b", key="b", detail_zoom=16, budget=500)
    levels = {level["z"]: level for level in ts.levels}
    top = levels[ts.minzoom]
    assert top["full"] < top["tiles"] and top["features"] < 6000 / 4  # generalised
    tiles = read_level(tmp_path / "b", ts.minzoom)
    blocks = [f for feats in tiles.values() for f in feats if f["properties"]["k"] == -1]
    full_rows = [f["properties"]["k"] for feats in tiles.values() for f in feats
                 if f["properties"]["k"] >= 0]
    # blocks stand for every building their tile holds, and the rest are drawn whole
    assert sum(b["properties"]["n"] for b in blocks) + len(full_rows) == 6000
    assert all(len(b["geometry"]["coordinates"][0]) == 4 for b in blocks)
    assert all(0 <= b["properties"]["c"] < len(ts.palettes["use"]) for b in blocks)
    # the detail level is complete whatever the budget
    detail = read_level(tmp_path / "b", ts.maxzoom)
    rows = sorted(f["properties"]["k"] for feats in detail.values() for f in feats)
    assert rows == list(range(6000))
    assert levels[ts.maxzoom]["full"] == levels[ts.maxzoom]["tiles"]


def test_cli_tiles_build(store, tiles_dir, capsys):
    build_town(store)
    assert main(["--store", str(store.root), "tiles", "build", "buildings"]) == 0
    out = capsys.readouterr().out
    assert "buildings" in out and "13 rows" in out and "built in" in out
    assert main(["--store", str(store.root), "tiles", "build"]) == 0
    out = capsys.readouterr().out
    assert "buildings" in out and "already built" in out and "parcels" in out
    assert main(["--store", str(store.root), "tiles", "build", "nope"]) == 1
    assert "no layer named nope" in capsys.readouterr().err


def test_import_builds_the_tiles(store, tiles_dir, tmp_path):
    frame = synthetic_buildings(50)
    path = tmp_path / "b.geojson"
    to_wgs84(frame).to_file(path, driver="GeoJSON")
    versions, report = import_file(store, path, kind="building", layer="blds")
    info = {i.name: i for i in store.layers()}["blds"]
    key = tileset_key("building", "blds", versions["blds"], info.sha256)
    manifest = json.loads((tiles_dir / key / "tileset.json").read_text("utf-8"))
    assert manifest["rows"] == 50 and "tiles_s" in report.timings


def test_tile_layer_spec(store, tiles_dir):
    """The deck JSON of a tiled layer: a TileLayer whose data is the tile URL template (a
    literal string, not an expression), its zoom range and extent, colours from the
    palette over ``properties.c`` (or ``properties.g`` by height), hidden rows flat."""
    from twin.render import build_deck
    from twin.render.tiles import tile_layer, tile_pick_row
    from twin.tiles import tileset_url

    build_town(store)
    ts = {n: t for n, t, _ in build_store_tiles(store)}["buildings"]
    layer = tile_layer(ts, name="buildings", url=tileset_url(ts), hidden_rows=[3])
    spec = json.loads(build_deck([layer], {}, view={"longitude": 119.9, "latitude": 35.73,
                                                    "zoom": 15}).to_json())["layers"][0]
    assert spec["@@type"] == "TileLayer" and spec["id"].startswith("buildings::tiles")
    assert spec["data"] == f"app/static/tiles/{ts.key}/{{z}}/{{x}}/{{y}}.json"
    assert (spec["minZoom"], spec["maxZoom"]) == (ts.minzoom, 16)
    assert spec["extent"] == ts.bounds and spec["extruded"] is True
    assert spec["getFillColor"].startswith("@@=(properties.k==3)?[0,0,0,0]:")
    assert "properties.c<" in spec["getFillColor"]
    assert spec["getElevation"] == "@@=(properties.k==3)?0:properties.h"
    by_height = tile_layer(ts, name="buildings", url=tileset_url(ts), color_by="height")
    assert by_height.id != layer.id and "properties.g<" in by_height.get_fill_color
    # picking a tile feature gives its row; a block gives none
    assert tile_pick_row({"type": "Feature", "properties": {"k": 7}}) == 7
    assert tile_pick_row({"properties": {"k": -1}}) is None
    assert tile_pick_row({"k": 2}) == 2 and tile_pick_row(None) is None
