"""The Import page colours the elements the model check fails on its preview map: a model
written with ifcopenshell.api with three walls missing Pset_WallCommon.IsExternal (the
shipped Boli IDS) and one slab outside any storey (SPATIAL), previewed with an anchor."""

from __future__ import annotations

import json
from pathlib import Path

import ifcopenshell
import ifcopenshell.api.pset
import ifcopenshell.api.spatial
import ifcopenshell.util.element as ue
import pytest
from ifc_factory import make_test_building
from small_town import build_town
from streamlit.testing.v1 import AppTest

from twin.ifc.check import check_model, failing_elements
from twin.store import ParquetStore

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
STATIC = ROOT / "static"


@pytest.fixture
def town(tmp_path, monkeypatch):
    store = build_town(ParquetStore(tmp_path / "layers"))
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    monkeypatch.setenv("TWIN_MAP_TILES", "0")
    return store


def _defective(tmp_path) -> tuple[Path, list[str], str]:
    info = make_test_building(tmp_path / "defects.ifc", storeys=1)
    model = ifcopenshell.open(info["path"])
    walls = sorted(model.by_type("IfcWall"), key=lambda w: w.GlobalId)[:3]
    for wall in walls:
        pset = ue.get_pset(wall, "Pset_WallCommon")
        ifcopenshell.api.pset.edit_pset(model, pset=model.by_id(pset["id"]),
                                        properties={"IsExternal": None})
    slab = model.by_type("IfcSlab")[0]
    ifcopenshell.api.spatial.unassign_container(model, products=[slab])
    model.write(info["path"])
    return Path(info["path"]), sorted(w.GlobalId for w in walls), slab.GlobalId


def _preview_deck(at) -> dict:
    charts = at.get("deck_gl_json_chart")
    assert charts, "no preview map"
    spec = json.loads(charts[0].proto.json)
    for layer in spec["layers"]:
        if isinstance(layer.get("data"), str):
            path = STATIC / layer["data"][len("app/static/"):]
            layer["data"] = json.loads(path.read_text(encoding="utf-8"))
    return spec


def _tooltips(deck) -> dict[str, str]:
    """``{GlobalId: tooltip}`` of the check layer's picked blocks."""
    out = {}
    for layer in deck["layers"]:
        if layer["id"].startswith("preview-check-") and layer["id"].endswith("::polygon"):
            for rec in layer["data"]:
                out[rec["t"].split(" · ")[2]] = rec["t"]
    return out


def _classes(deck) -> dict[str, int]:
    """How many blocks of the check layer get each colour (the drawn layer's palette)."""
    out: dict[str, int] = {}
    for layer in deck["layers"]:
        if layer["id"].startswith("preview-check-") and layer["id"].endswith("::solid"):
            for rec in layer["data"]:
                out[rec["c"]] = out.get(rec["c"], 0) + 1
    return out


def test_failing_elements_lists_each_guid_with_its_rules(tmp_path):
    path, walls, slab = _defective(tmp_path)
    check = check_model(ifcopenshell.open(str(path)), path=path, limit=None).to_dict()
    failing = failing_elements(check)
    assert failing[slab] == ["SPATIAL"]
    ids_rule = next(r for g in walls for r in failing[g])
    assert ids_rule.startswith("IDS ") and "Wall" in ids_rule
    assert sorted(g for g, rules in failing.items() if ids_rule in rules) == walls


def test_import_page_colours_failing_elements_with_legend_and_rules(town, tmp_path):
    path, walls, slab = _defective(tmp_path)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("app_pages/import_page.py").run()
    at.file_uploader(key="upload").set_value((path.name, path.read_bytes(),
                                              "application/octet-stream")).run()
    at.button(key="import_preview").click().run()  # no georeference: asks for an anchor
    at.number_input(key="anchor_lon").set_value(119.905)
    at.number_input(key="anchor_lat").set_value(35.735)
    at.button(key="anchor_apply").click().run()
    at.button(key="import_preview").click().run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error]

    deck = _preview_deck(at)
    ids = [layer["id"] for layer in deck["layers"]]
    assert not any(i.startswith("preview-building") for i in ids), ids  # blocks replaced
    tips = _tooltips(deck)
    failing = {g for g, t in tips.items() if not t.endswith("无不通过项")}
    assert failing == {*walls, slab}, tips
    assert "SPATIAL" in tips[slab] and all("IDS" in tips[g] for g in walls)
    assert "无不通过项" in next(t for g, t in tips.items() if g not in failing)
    # legend: 4 failing blocks red, the rest (the 4th wall, the empty proxy has no block) green
    legend = " ".join(m.value for m in at.markdown)
    assert "不通过所选规则" in legend and "无不通过项" in legend
    assert sorted(_classes(deck).values()) == [1, 4]
    # the table says which rule each element failed
    table = next(d.value for d in at.dataframe if "不通过的规则" in d.value.columns)
    by_guid = dict(zip(table["GlobalId"], table["不通过的规则"]))
    assert by_guid[slab] == "SPATIAL" and set(by_guid) == {*walls, slab}

    # one rule at a time: SPATIAL red, the IDS failures orange
    picker = at.selectbox(key="ifc_check_rule")
    assert "SPATIAL" in picker.options
    picker.set_value("SPATIAL").run()
    assert not at.exception, at.exception
    deck = _preview_deck(at)
    assert sorted(_classes(deck).values()) == [1, 1, 3]
    legend = " ".join(m.value for m in at.markdown)
    assert "仅不通过其他规则" in legend
