"""``select``'s attribute filter gives the same rows on both backends: in memory (pandas) on
the embedded GeoParquet store, and as a parametrised ``WHERE`` on PostGIS, or in memory
there too when a filter has no exact SQL form."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from postgis_server import fresh_postgis_store

from twin.errors import QueryError
from twin.io.report import LayerData
from twin.query import get_query
from twin.query.inputs import QueryInputs
from twin.store import ParquetStore

pytestmark = pytest.mark.postgis

X0, Y0 = 491_000.0, 3_954_000.0
ODD = 'rate"q'  # a column name with a double quote


def _towers(n: int = 400, seed: int = 3, prefix: str = "T") -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    x = X0 + rng.uniform(0, 1500, n)
    y = Y0 + rng.uniform(0, 1500, n)
    height = np.round(rng.uniform(6, 80, n), 1)
    height[::17] = np.nan
    floors = pd.array(rng.integers(1, 25, n), dtype="Int64")
    floors[::13] = pd.NA
    use = np.array(["R2", "B1", "M1", "r2", None], dtype=object)[rng.integers(0, 5, n)]
    names = np.array(["泊里楼", "横河苑", "楼1号", "港湾大厦", "Tower", None],
                     dtype=object)[rng.integers(0, 6, n)]
    return gpd.GeoDataFrame({
        "id": [f"{prefix}{i:04d}" for i in range(n)],
        "name": names, "use": use, "height_m": height, "floors": floors,
        "base_elev_m": np.zeros(n), "gfa_m2": np.round(rng.uniform(100, 9000, n), 1),
        "source": ["synthetic"] * n, "ifc_guid": pd.array([None] * n, dtype="string"),
        "名称": np.array(["泊里", "白马河", "甲"], dtype=object)[rng.integers(0, 3, n)],
        "flag": rng.integers(0, 2, n).astype(bool),
        "ratio32": rng.uniform(0, 1, n).astype(np.float32),
        ODD: rng.integers(0, 10, n),
        "code": np.array(["1", "2", "30", "x"], dtype=object)[rng.integers(0, 4, n)],
    }, geometry=list(shapely.box(x, y, x + 20, y + 15)), crs="EPSG:4549")


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The same town (a ``tower`` and a ``house`` layer of kind building) in a parquet
    store and in a PostGIS store."""
    town = [LayerData("tower", "building", _towers()),
            LayerData("house", "building", _towers(60, seed=5, prefix="H"))]
    parquet = ParquetStore(tmp_path_factory.mktemp("where") / "layers")
    parquet.commit(town)
    pg = fresh_postgis_store("w")
    pg.commit(town)
    yield parquet, pg
    pg.destroy()
    pg.close()


def _select(store, **params):
    spec = get_query("select")
    return spec.run(QueryInputs(store), **{**spec.defaults(), **params})


# (filter, pushed to the server?)
FILTERS = [
    ("height_m > 24", True),
    ("height_m >= 9 and use == 'R2'", True),
    ("not use = 'R2'", True),                      # nulls match 'not', as in pandas
    ("use != 'R2'", True),                         # nulls never match a test
    ("use in ('R2', 'B1')", True),
    ("use not in ('R2')", True),
    ("floors in (3, 4, 5.0)", True),
    ("flag == true and floors <= 10", True),
    ("use is null", True),
    ("height_m is not null and floors < 5", True),
    ("not (height_m > 30 or floors is null)", True),
    ("名称 == '泊里' or name == '横河苑'", True),  # Chinese column and values
    ("name > '楼'", True),                          # text order: by code point
    ("name contains '楼1'", True),                  # no letter case: a substring test
    (f"`{ODD}` >= 7 and -1 < height_m", True),      # quoting of an odd column name
    ("height_m == null", True),                    # never matches
    ("not height_m == null", True),
    ("1 == 1 and use == 'B1'", True),
    ("true and not false", True),
    ("use == 'x'' OR 1=1 --'", True),              # a quote inside a value: a value
    ("name == 'a''); DROP TABLE layer_versions; --'", True),
    ("use contains 'r'", False),                   # letters: case folding differs
    ("code > 2", False),                           # text vs number: pandas compares numbers
    ("height_m == '30.5'", False),                 # number vs text
    ("ratio32 > 0.5", False),                      # a float32 column
    ("layer == 'tower'", False),                   # the column QueryInputs adds
    ("flag == 1", False),                          # bool vs number
]


@pytest.mark.parametrize("where,pushed", FILTERS, ids=[f for f, _ in FILTERS])
def test_where_selects_the_same_ids_on_both_backends(both, where, pushed):
    parquet, pg = both
    a = _select(parquet, layer="tower", where=where)
    b = _select(pg, layer="tower", where=where)
    assert "PostGIS" not in a.methods["engine"]
    assert ("PostGIS WHERE on tower" in b.methods["engine"]) is pushed, b.methods["engine"]
    assert a.summary == b.summary
    assert list(a.layer["id"]) == list(b.layer["id"])
    pd.testing.assert_frame_equal(a.layer, b.layer)
    if pushed:  # only the matching rows were read
        read = int(b.methods["engine"].split("(")[1].split(" of ")[0])
        assert read == b.summary["matched"] < b.summary["total"] or where.startswith(
            ("not height_m", "true"))


def test_the_selection_is_not_empty_for_most_filters(both):
    parquet, _ = both
    matched = [_select(parquet, layer="tower", where=w).summary["matched"] for w, _ in FILTERS]
    assert sum(m > 0 for m in matched) >= len(FILTERS) - 5


def test_a_kind_in_two_layers_and_a_keyword_filter_in_memory(both):
    parquet, pg = both
    a = _select(parquet, layer="building", where="height_m > 50", keyword="楼")
    b = _select(pg, layer="building", where="height_m > 50", keyword="楼")
    assert "PostGIS" not in b.methods["engine"]      # tower + house: the in-memory path
    assert list(a.layer["id"]) == list(b.layer["id"]) and a.summary["matched"] > 0
    a = _select(parquet, layer="tower", where="height_m > 50", keyword="楼")
    b = _select(pg, layer="tower", where="height_m > 50", keyword="楼")
    assert "PostGIS WHERE" in b.methods["engine"]    # the keyword runs on what was read
    assert list(a.layer["id"]) == list(b.layer["id"]) and a.summary["matched"] > 0


def test_turned_off_and_scenario_frames_filter_in_memory(both, monkeypatch):
    _, pg = both
    edited = pg.read("tower").iloc[:50]
    res = get_query("select").run(QueryInputs(pg, frames={"building": edited}),
                                  layer="building", where="height_m > 24")
    assert "PostGIS" not in res.methods["engine"] and res.summary["total"] == 50
    monkeypatch.setenv("TWIN_PUSHDOWN", "0")
    assert "PostGIS" not in _select(pg, layer="tower", where="height_m > 24").methods["engine"]


REFUSED = [
    ("heigth_m > 24", "did you mean 'height_m'"),
    ("colour == 'red'", "column 'colour'"),
    ('`use" OR 1=1 --` == 1', "column 'use\" OR 1=1 --'"),
    ("use like 'R%'", "expected a comparison after the column"),
    ("__import__('os').system('true')", "cannot read the filter"),
    ("__class__ == 1", "column '__class__'"),
    ("height_m > 24 ; drop table x", "cannot read the filter"),
    ("height_m > 24 use", "expected 'and', 'or' or the end"),
    ("use contains 3", "contains takes"),
    ("(" * 500 + "height_m > 1" + ")" * 500, "nests parentheses or 'not' more than 64"),
    ("not " * 5000 + "height_m > 1", "nests parentheses or 'not' more than 64"),
    (" or ".join(["height_m > 1"] * 1000), "joins more than 256 tests"),
]


@pytest.mark.parametrize("where,message", REFUSED, ids=range(len(REFUSED)))
def test_bad_and_hostile_filters_are_the_same_one_line_error(both, where, message):
    parquet, pg = both
    errors = []
    for store in (parquet, pg):
        with pytest.raises(QueryError, match=message) as err:
            _select(store, layer="tower", where=where)
        assert "\n" not in str(err.value)
        errors.append(str(err.value))
    assert errors[0] == errors[1]
    assert pg.row_count("tower") == 400 and len(pg.layers()) == 2   # nothing was run


def test_a_long_but_fair_filter_runs_on_the_server(both):
    parquet, pg = both
    where = " or ".join(f"floors == {i}" for i in range(200))
    a = _select(parquet, layer="tower", where=where)
    b = _select(pg, layer="tower", where=where)
    assert "PostGIS WHERE" in b.methods["engine"]
    assert list(a.layer["id"]) == list(b.layer["id"]) and a.summary["matched"] > 300
