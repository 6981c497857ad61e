"""select: the safe filter language, keywords and spatial predicates."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely
from query_frames import X0, Y0, buildings, parcels, rivers

import twin.query as q
from twin.errors import QueryError
from twin.query.expr import filter_frame, parse, to_sql


def _town():
    b = buildings([
        {"id": "T1", "name": "高楼一", "use": "R2", "height_m": 30.0, "box": (0, 30, 20, 50)},
        {"id": "T2", "name": "高楼二", "use": "B1", "height_m": 45.0, "box": (0, 200, 20, 220)},
        {"id": "L1", "name": "低楼", "use": "R2", "height_m": 9.0, "box": (40, 20, 60, 40)},
        {"id": "T3", "name": "塔楼", "use": "R2", "height_m": 24.0, "box": (80, 20, 100, 40)},
        {"id": "N1", "name": None, "use": None, "height_m": None, "box": (120, 20, 130, 30)},
    ])
    r = rivers([
        {"id": "H1", "name": "横河", "width_m": 10.0, "setback_m": 10.0,
         "coords": [(-100, 0), (300, 0)]},
        {"id": "H2", "name": "白马河", "width_m": 10.0, "setback_m": 10.0,
         "coords": [(-100, 400), (300, 400)]},
    ])
    p = parcels([{"id": "P1", "land_use": "R2", "box": (-10, -10, 70, 60)}])
    return {"building": b, "river": r, "parcel": p}


def test_example_tall_buildings_near_henghe():
    res = q.run("select", _town(), where="height_m > 24", near="river:横河", distance_m=50)
    assert list(res.layer["id"]) == ["T1"]          # T2 is tall but 200 m away; T3 is 24
    assert res.layer.iloc[0]["distance_m"] == pytest.approx(30.0)
    assert res.summary["matched"] == 1 and res.summary["reference_features"] == 1
    assert "reference" in res.extra_layers


def test_distance_is_inclusive_and_keyword_search():
    res = q.run("select", _town(), near="river", near_keyword="横河", distance_m=30)
    assert sorted(res.layer["id"]) == ["L1", "N1", "T1", "T3"]   # T1 at exactly 30 m is in
    res = q.run("select", _town(), keyword="高楼")
    assert sorted(res.layer["id"]) == ["T1", "T2"]
    res = q.run("select", _town(), keyword="t3, l1")
    assert sorted(res.layer["id"]) == ["L1", "T3"]


def test_within_contains_intersects():
    town = _town()
    res = q.run("select", town, near="parcel", predicate="within")
    assert sorted(res.layer["id"]) == ["L1", "T1"]
    res = q.run("select", town, layer="parcel", near="building", near_keyword="L1",
                predicate="contains")
    assert list(res.layer["id"]) == ["P1"]
    wkt = shapely.box(X0 + 10, Y0 + 10, X0 + 45, Y0 + 35).wkt
    res = q.run("select", town, near=wkt, predicate="intersects")
    assert sorted(res.layer["id"]) == ["L1", "T1"]


def test_filter_language():
    df = pd.DataFrame({"height_m": [30.0, 9.0, None], "use": ["R2", "B1", None],
                       "floors": pd.array([10, 3, None], dtype="Int64"),
                       "名称": ["甲", "乙", "丙"]})
    def ids(expr):
        return list(filter_frame(df, expr).to_numpy().nonzero()[0])
    assert ids("height_m > 24 and use == 'R2'") == [0]
    assert ids("height_m >= 9 & not use = 'R2'") == [1]
    assert ids("use in ('R2', 'B1')") == [0, 1]
    assert ids("use not in ('R2')") == [1, 2]
    assert ids("use is null") == [2]
    assert ids("height_m is not null and floors < 5") == [1]
    assert ids("名称 == '丙' or `height_m` < -1") == [2]
    assert ids("use contains 'r'") == [0]
    assert ids("(height_m > 24 or floors == 3) and use != 'X'") == [0, 1]
    assert ids("") == [0, 1, 2]


@pytest.mark.parametrize("bad, message", [
    ("height > 24", "did you mean 'height_m'"),
    ("__import__('os').system('true')", "cannot read the filter"),
    ("__class__ == 1", "column '__class__'"),
    ("height_m >", "expected a column name or a value"),
    ("height_m > 24 ; drop", "cannot read the filter"),
    ("height_m > 24 use", "expected 'and', 'or' or the end"),
    ("use contains 3", "contains takes"),
])
def test_filter_errors_are_one_line(bad, message):
    df = pd.DataFrame({"height_m": [1.0], "use": ["R"]})
    with pytest.raises(QueryError, match=message) as err:
        filter_frame(df, bad)
    assert "\n" not in str(err.value)


def test_to_sql_matches_the_language():
    sql, params = to_sql(parse("height_m > 24 and use in ('R2', 'R3') or name contains '河%'"))
    assert sql == ('(("height_m" > %s AND "use" IN (%s, %s)) OR '
                   'CAST("name" AS text) ILIKE %s)')
    assert params == [24, "R2", "R3", "%河\\%%"]
    assert to_sql(parse("not use is null")) == ('(NOT COALESCE("use" IS NULL, FALSE))', [])


def test_unknown_reference_and_layer():
    with pytest.raises(QueryError, match="no river feature matches"):
        q.run("select", _town(), near="river:长江")
    with pytest.raises(QueryError, match="no kind called 'roadz'"):
        q.run("select", _town(), layer="roadz")
    with pytest.raises(QueryError, match="must be one of"):
        q.run("select", _town(), near="river", predicate="touches")


@pytest.mark.parametrize("text,message", [
    ("(" * 500 + "max_far > 1" + ")" * 500, "nests parentheses or 'not' more than 64"),
    ("not " * 5000 + "max_far > 1", "nests parentheses or 'not' more than 64"),
    (" or ".join(["max_far > 1"] * 1000), "joins more than 256 tests"),
])
def test_hostile_filters_are_refused_in_one_line(text, message):
    from twin.query.expr import parse

    with pytest.raises(QueryError, match=message):
        parse(text)
    assert parse(" or ".join(["max_far > 1"] * 200))[0] == "or"   # a long but fair filter


def test_to_sql_with_types_is_exact_or_refused():
    from twin.query.expr import Untranslatable

    types = {"use": "text", "height_m": "number", "名称": "text", "ratio": None}
    sql, params = to_sql(parse("名称 > '河' and not height_m in (1, 2.5) and 1 == 2"),
                         columns={"use": "use", "height_m": "h_1", "名称": "名称", "ratio": "r"},
                         types=types)
    assert sql == ('((COALESCE("名称" COLLATE "C" > %s, FALSE) AND '
                   '(NOT COALESCE(COALESCE("h_1" IN (%s, %s), FALSE), FALSE))) AND FALSE)')
    assert params == ["河", 1, 2.5]
    for text in ("use > 3", "ratio > 1", "use contains 'r'", "height_m in (1, 'a')"):
        with pytest.raises(Untranslatable):
            to_sql(parse(text), columns=types, types=types)
    with pytest.raises(QueryError, match="did you mean 'use'"):
        to_sql(parse("uses == 'R'"), columns=types, types=types)
