"""A store has one working CRS, on every backend: ``StoreReader.crs()`` says which, an
import under another ``$TWIN_CRS`` (or with layers in another CRS) is refused in one line
before anything is written; merging or appending frames of two CRSs is refused by the
import modes; and the shrink guard tells an explicit ``--mode replace`` from the default."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from twin.cli import main
from twin.errors import ReaderError, StoreError
from twin.import_modes import apply_mode, plan_import, refuse_shrink
from twin.importer import commit_result, import_file, read_file


def _buildings(path: Path, ids, x0: float = 119.90) -> Path:
    frame = gpd.GeoDataFrame(
        {"id": list(ids), "name": [f"楼{i}" for i in ids], "use": ["R"] * len(ids),
         "height_m": [12.0] * len(ids)},
        geometry=[shapely.box(x0 + 0.001 * k, 35.73, x0 + 0.001 * k + 0.0004, 35.7304)
                  for k in range(len(ids))], crs="EPSG:4326")
    frame.to_file(path, driver="GeoJSON")
    return path


def _town(store, tmp_path, n: int = 10):
    import_file(store, _buildings(tmp_path / "town.geojson", [f"B{i}" for i in range(n)]),
                kind="building", layer="building")
    return store


def _history(store) -> dict:
    return {info.name: [v.version for v in store.versions(info.name)]
            for info in store.layers()}


def test_the_store_says_its_crs_and_takes_any_while_empty(any_store, tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CRS", "EPSG:4549")
    assert any_store.crs() is None
    _town(any_store, tmp_path)
    assert any_store.crs() == "EPSG:4549"


def test_another_twin_crs_is_refused_before_reading(any_store, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TWIN_CRS", "EPSG:4549")
    _town(any_store, tmp_path)
    before = _history(any_store)
    monkeypatch.setenv("TWIN_CRS", "EPSG:3857")
    url = any_store.url
    more = _buildings(tmp_path / "more.geojson", ["N1"], x0=119.95)
    assert main(["--store", url, "import", str(more), "--kind", "building",
                 "--layer", "building", "--mode", "append"]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1, err
    assert "EPSG:4549" in err[0] and "EPSG:3857" in err[0] and "$TWIN_CRS" in err[0]
    assert "twin:twin@" not in err[0]  # a PostGIS URL is shown without its password
    monkeypatch.setenv("TWIN_CRS", "EPSG:4549")
    assert _history(any_store) == before


def test_layers_in_another_crs_are_refused_at_commit(any_store, tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CRS", "EPSG:4549")
    _town(any_store, tmp_path)
    before = _history(any_store)
    result = read_file(_buildings(tmp_path / "n.geojson", ["N1"], x0=119.95), kind="building",
                       layer="building")
    result.layers[0].data = result.layers[0].data.to_crs("EPSG:3857")
    with pytest.raises(StoreError, match=r"EPSG:4549.*EPSG:3857 \(layer building\)"):
        commit_result(any_store, result, mode="append")
    assert _history(any_store) == before


def test_append_or_merge_of_two_crss_is_one_clear_error(store, tmp_path, monkeypatch):
    monkeypatch.setenv("TWIN_CRS", "EPSG:4549")
    _town(store, tmp_path)
    result = read_file(_buildings(tmp_path / "n.geojson", ["B1", "N1"], x0=119.95),
                       kind="building", layer="building")
    item = result.layers[0]
    item.data = item.data.to_crs("EPSG:3857")
    for mode in ("append", "merge"):
        if mode == "append":
            item.data = item.data[item.data["id"] == "N1"]
        with pytest.raises(ReaderError, match="layer building holds its features in "
                                              "EPSG:4549 but the file's are in EPSG:3857"):
            apply_mode(store, item, mode, source="n.geojson")
    # the same CRS merges as before
    same = read_file(_buildings(tmp_path / "m.geojson", ["B1", "N1"], x0=119.95),
                     kind="building", layer="building").layers[0]
    merged = apply_mode(store, same, "merge")
    assert len(merged.data) == 11 and merged.data.crs == "EPSG:4549"


def test_shrink_guard_tells_explicit_replace_from_the_default(store, tmp_path, monkeypatch,
                                                              capsys):
    monkeypatch.setenv("TWIN_CRS", "EPSG:4549")
    _town(store, tmp_path)
    result = read_file(_buildings(tmp_path / "two.geojson", ["N1", "N2"], x0=119.95),
                       kind="building", layer="building")
    with pytest.raises(ReaderError, match="would replace the 10 features"):
        refuse_shrink(plan_import(store, result))  # the default: refused
    plans = plan_import(store, result, "replace")
    assert plans[0].explicit and plans[0].result_rows == 2
    refuse_shrink(plans)  # asked for: passes
    # the CLI: --mode replace shrinks the layer on purpose, the default is refused
    two = tmp_path / "two.geojson"
    args = ["--store", str(store.root), "import", str(two), "--kind", "building",
            "--layer", "building"]
    assert main(args) == 1
    assert "--mode append" in capsys.readouterr().err
    assert main([*args, "--mode", "replace"]) == 0
    assert len(store.read("building")) == 2


def test_the_first_layer_fixes_the_crs_of_a_store_made_by_a_scenario(store, tmp_path,
                                                                    monkeypatch):
    from twin.scenario.apply import save_scenario
    from twin.scenario.model import Scenario

    monkeypatch.setenv("TWIN_CRS", "EPSG:4549")
    save_scenario(store, Scenario("a"))  # the catalog exists before any layer
    monkeypatch.setenv("TWIN_CRS", "EPSG:32650")
    _town(store, tmp_path)
    assert store.crs() == "EPSG:32650" == store.read("building").crs.to_string()
    monkeypatch.setenv("TWIN_CRS", "EPSG:4549")  # now the other one is refused
    with pytest.raises(StoreError, match="EPSG:32650"):
        import_file(store, _buildings(tmp_path / "more.geojson", ["N1"]), kind="building",
                    layer="b2")
    assert [i.name for i in store.layers()] == ["building"]


def test_a_dem_read_under_another_twin_crs_is_refused_at_commit(any_store, tmp_path,
                                                                monkeypatch):
    # the Import page reads first and commits later: a raster has no frame CRS to compare
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    monkeypatch.setenv("TWIN_CRS", "EPSG:4549")
    _town(any_store, tmp_path)
    before = _history(any_store)
    dem = tmp_path / "dem.tif"
    with rasterio.open(dem, "w", driver="GTiff", width=4, height=4, count=1,
                       dtype="float32", crs="EPSG:4326",
                       transform=from_origin(119.90, 35.74, 0.002, 0.002)) as dst:
        dst.write(np.arange(16, dtype="float32").reshape(1, 4, 4))
    monkeypatch.setenv("TWIN_CRS", "EPSG:32650")
    result = read_file(dem, kind="terrain")
    with pytest.raises(StoreError, match="EPSG:4549"):
        commit_result(any_store, result)
    assert _history(any_store) == before
