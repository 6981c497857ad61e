"""The registry, QueryInputs over a store, and the `twin query` command."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from query_frames import buildings, dem_bytes, parcels, rivers

import twin.query as q
from twin.cli import main
from twin.errors import QueryError
from twin.io.report import LayerData
from twin.kinds import conform


def _conformed(frame, kind):
    return conform(frame, kind)[0]


@pytest.fixture
def town(store):
    p = parcels([{"id": "P1", "name": "方块", "land_use": "R2", "max_far": 0.5,
                  "max_density": 0.1, "max_height_m": 24.0, "min_green_ratio": 0.35,
                  "box": (0, 0, 100, 100)}])
    b = buildings([
        {"id": "B1", "name": "一号", "use": "R2", "height_m": 15.0, "floors": 5,
         "box": (10, 30, 30, 50)},
        {"id": "B2", "name": "二号", "use": "R2", "height_m": 30.0, "floors": 10,
         "box": (50, 50, 60, 80)},
    ])
    ifc = buildings([
        {"id": "IFC-9", "name": "模型楼", "use": "R2", "height_m": 12.0, "floors": 4,
         "gfa_m2": 999.0, "ifc_guid": "0abcdefghijklmnopqrstu", "box": (70, 10, 80, 20)},
    ])
    r = rivers([{"id": "H1", "name": "横河", "width_m": 20.0, "setback_m": 10.0,
                 "coords": [(-100, 0), (300, 0)]}])
    elev = np.full((40, 40), 5.0)
    elev[:, 0:3] = 0.0
    store.commit([LayerData("parcels", "parcel", _conformed(p, "parcel")),
                  LayerData("buildings", "building", _conformed(b, "building")),
                  LayerData("ifc_model", "building", _conformed(ifc, "building")),
                  LayerData("rivers", "river", _conformed(r, "river")),
                  LayerData("dem", "terrain", dem_bytes(elev, cell=5.0))])
    return store


def test_registry_lists_every_query_with_typed_params():
    names = [s.name for s in q.queries()]
    assert names == ["select", "indicators", "setbacks", "coverage", "flood", "sunlight",
                     "shadows", "envelope", "height_limit", "sightline", "viewshed",
                     "window_sunlight", "capacity", "skyline", "projects"]
    for spec in q.queries():
        assert spec.title_zh and spec.title_en and spec.run
        json.dumps(spec.to_dict(), ensure_ascii=False)
        for p in spec.params:
            assert p.type in ("float", "int", "str", "bool", "choice", "date", "datetime")
            if p.default is not None and p.type in ("float", "int"):
                assert p.coerce(str(p.default)) == p.default       # typed text → the value
    assert q.get_query("setbacks").param("road_setback_m").coerce("5") == 5.0
    with pytest.raises(QueryError, match="unknown query 'nope'"):
        q.get_query("nope")
    with pytest.raises(QueryError, match="no parameter 'bogus'"):
        q.run("setbacks", {}, bogus=1)
    with pytest.raises(QueryError, match="takes a float"):
        q.run("setbacks", {}, road_setback_m="far")


def test_layers_merge_every_layer_of_a_kind_and_override(town):
    layers = q.QueryInputs(town)
    b = layers["building"]
    assert sorted(b["id"]) == ["B1", "B2", "IFC-9"]
    assert set(b["layer"]) == {"buildings", "ifc_model"}
    assert layers.has("terrain") and isinstance(layers["terrain"], bytes)
    assert not layers.has("facility") and len(layers["facility"]) == 0
    assert set(layers.kinds()) >= {"parcel", "building", "river", "terrain"}
    edited = layers.copy().override("building", b[b["id"] != "B2"])
    assert sorted(edited["building"]["id"]) == ["B1", "IFC-9"]
    assert sorted(layers["building"]["id"]) == ["B1", "B2", "IFC-9"]   # the base is untouched
    assert edited.overridden() == ["building"]
    res = q.run("indicators", edited)
    assert res.layer.iloc[0]["gfa_m2"] == pytest.approx(2000 + 999)
    assert isinstance(q.run("indicators", town).layer, gpd.GeoDataFrame)


def test_cli_query_prints_and_exports(town, tmp_path, capsys):
    assert main(["--store", str(town.root), "query", "indicators", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["parcels"] == 1 and out["rows"][0]["far"] == pytest.approx(0.5999)
    target = tmp_path / "sel.geojson"
    assert main(["--store", str(town.root), "query", "select", "--where", "height_m > 12",
                 "--near", "river:横河", "--distance-m=40", "--out", str(target)]) == 0
    text = capsys.readouterr().out
    assert "matched" in text and "wrote layer" in text
    back = gpd.read_file(target)
    assert list(back["id"]) == ["B1"] and back.crs.to_epsg() == 4326
    csv = tmp_path / "ev.csv"
    assert main(["--store", str(town.root), "query", "indicators", "--out", str(csv),
                 "--what", "evidence"]) == 0
    ev = pd.read_csv(csv)
    assert set(ev["building_id"]) == {"B1", "B2", "IFC-9"}
    gpkg = tmp_path / "flood.gpkg"
    assert main(["--store", str(town.root), "query", "flood", "--level-m", "2",
                 "--out", str(gpkg), "--what", "flooded_area"]) == 0
    assert gpd.read_file(gpkg).area.sum() == pytest.approx(40 * 3 * 25)


def test_cli_lists_and_reports_errors_in_one_line(town, capsys):
    assert main(["query", "--list"]) == 0
    assert "sunlight" in capsys.readouterr().out
    assert main(["--store", str(town.root), "query", "setbacks", "--bogus", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: query 'setbacks' has no parameter --bogus")
    assert err.count("\n") == 1
    assert main(["--store", str(town.root), "query", "select", "--where", "hight > 3"]) == 1
    assert "did you mean 'height_m'" in capsys.readouterr().err
    assert main(["--store", str(town.root), "query", "flood"]) == 1
    assert "needs a water level" in capsys.readouterr().err
    assert main(["--store", str(town.root), "query", "setbacks", "--no-rivers", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["violations"] == 0
