"""Search (twin.search and `twin find`): ids, names, pinyin and fuzzy matches over every
searchable kind, one clear line on bad input, and the map's search box flying to a hit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from small_town import build_town, town_layers
from streamlit.testing.v1 import AppTest

from twin.cli import main
from twin.errors import TwinError
from twin.search import index_frames, search, to_pinyin
from twin.store import ParquetStore

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(scope="module")
def index():
    return index_frames({item.name: (item.kind, item.data) for item in town_layers()})


def test_pinyin_of_a_name():
    assert to_pinyin("横河") == ("henghe", "hh")
    assert to_pinyin("P220") == ("p220", "p220")


@pytest.mark.parametrize("text, kind, ident, how", [
    ("白马河", "river", "W1", "name"),          # exact name
    ("白玛河", "river", "W1", "pinyin"),        # a homophone
    ("baimahe", "river", "W1", "pinyin"),       # Latin pinyin
    ("bmh", "river", "W1", "pinyin"),           # initials
    ("卫生", "facility", "F2", "name"),          # part of a name
    ("滨海大路", "road", "R1", "fuzzy"),         # a typo
    ("p3", "parcel", "P3", "id"),               # an id, any case
    ("2O2Fr$t4X7Zf8NOew3FL01", "bim_element", "2O2Fr$t4X7Zf8NOew3FL01", "id"),  # GlobalId
    ("IfcRoof <3>", "bim_element", "2O2Fr$t4X7Zf8NOew3FL03", "name"),
])
def test_best_hit(index, text, kind, ident, how):
    best = search(index, text)[0]
    assert (best.kind, best.id, best.match) == (kind, ident, how)


def test_kind_filter_and_ranking(index):
    hits = search(index, "楼1", kind="building")
    assert [h.id for h in hits[:2]] == ["B1", "B10"]
    assert {h.kind for h in hits} == {"building"}
    assert search(index, "白马河", kind="parcel") == []


def test_runs_of_one_road_are_one_hit():
    layers = town_layers()
    roads = layers[1].data
    roads.loc[1, "name"] = roads.loc[0, "name"]  # two runs of 滨海大道
    index = index_frames({"roads": ("road", roads)})
    hits = search(index, "滨海大道")
    assert len(hits) == 1 and hits[0].ids == ("R1", "R2")
    minx, miny, maxx, maxy = hits[0].bounds
    assert (minx, maxy) == (roads.total_bounds[0], roads.total_bounds[3])


def test_bad_kind_and_empty_text(index):
    with pytest.raises(TwinError, match="cannot search kind 'tree'.*river, road"):
        search(index, "x", kind="tree")
    with pytest.raises(TwinError, match="nothing to search for"):
        search(index, "  ")


@pytest.fixture
def store(tmp_path):
    return build_town(ParquetStore(tmp_path / "layers"))


def test_cli_find(store, capsys):
    assert main(["--store", str(store.root), "find", "卫生院", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0]["kind"] == "facility" and hits[0]["id"] == "F2"
    assert 119.8 < hits[0]["lon"] < 120.0 and 35.6 < hits[0]["lat"] < 35.8
    assert main(["--store", str(store.root), "find", "baimahe"]) == 0
    out = capsys.readouterr().out
    assert "白马河" in out and "pinyin" in out


def test_cli_find_no_match_and_bad_kind(store, capsys):
    assert main(["--store", str(store.root), "find", "zzzzqqq"]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "no match for 'zzzzqqq'; try part of the name, its pinyin or an id"
    assert main(["--store", str(store.root), "find", "x", "--kind", "tree"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot search kind 'tree'" in err[0]


def test_map_search_box_flies_and_highlights(store, monkeypatch):
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    monkeypatch.setenv("TWIN_INLINE_MAP_DATA", "1")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    first = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    at.text_input(key="find_text").input("baimahe").run()
    assert not at.exception, at.exception
    radio = at.radio(key="find_choice")
    assert "白马河" in radio.options[0]
    deck = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    ids = [layer["id"] for layer in deck["layers"]]
    assert any(i.startswith("find") for i in ids), ids
    view, before = deck["initialViewState"], first["initialViewState"]
    river = search(index_frames({"rivers": ("river", town_layers()[2].data)}), "白马河")[0]
    west, south, east, north = river.wgs84_bounds()
    assert abs(view["latitude"] - (south + north) / 2) < 1e-4  # centred on the river
    assert abs(view["longitude"] - (west + east) / 2) < 1e-4
    assert view["latitude"] < before["latitude"]  # the river runs south of the town
    # choosing another hit flies again; picking nothing else keeps the camera
    at.text_input(key="find_text").input("卫生院").run()
    deck2 = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    assert deck2["initialViewState"]["latitude"] > view["latitude"]
