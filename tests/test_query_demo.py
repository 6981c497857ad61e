"""On the Boli demo twin (built by ``twin demo``), the queries find the planted violations."""

from __future__ import annotations

import pytest

import twin.query as q
from twin.cli import main
from twin.demo.build import PLANTED
from twin.store import open_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("qdemo")
    url = str(root / "layers")
    assert main(["--store", url, "demo", "--data", str(root / "boli")]) == 0
    store = open_store(url)
    return {"store": store, "url": url, "layers": q.QueryInputs(store)}


def test_indicators_find_the_far_and_height_parcels(demo):
    res = q.run("indicators", demo["layers"])
    layer = res.layer.set_index("id")
    assert list(layer.index[layer["far_status"] == "fail"]) == [PLANTED["far_parcel"]]
    height_parcel = demo["store"].read("building").set_index("id").loc[
        PLANTED["height_building"], "parcel_id"]
    assert list(layer.index[layer["height_status"] == "fail"]) == [height_parcel]
    ev = res.tables["evidence"]
    tallest = ev[ev["parcel_id"] == height_parcel].sort_values("height_m").iloc[-1]
    assert tallest["building_id"] == PLANTED["height_building"]
    # the IFC buildings' GFA comes from their spaces, the LOD1 buildings' from floors
    ifc = ev[ev["ifc_guid"] != ""]
    assert len(ifc) == 3 and set(ifc["gfa_method"]) == {"ifc:ifcspace"}


def test_setbacks_find_the_building_in_the_blue_line(demo):
    res = q.run("setbacks", demo["layers"])
    river = res.table[res.table["rule"] == "river"]
    assert list(river["building_id"]) == [PLANTED["setback_building"]]
    assert list(river["ref_name"]) == [PLANTED["setback_river"]]
    assert res.summary["road_violations"] == 0


def test_select_finds_it_too(demo):
    res = q.run("select", demo["layers"], near=f"river:{PLANTED['setback_river']}",
                distance_m=25)
    assert PLANTED["setback_building"] in set(res.layer["id"])


def test_coverage_maps_the_area_without_a_school(demo):
    res = q.run("coverage", demo["layers"], kinds="school")
    parcels = demo["store"].read("parcel").set_index("id")
    area = res.layer["parcel_id"].map(parcels["area_name"])
    planted = res.layer[area == PLANTED["no_school_area"]]
    assert len(planted) > 0 and (planted["uncovered"] == "school").all()
    for name in ("临港安置区", "董家口安置区"):
        assert (res.layer[area == name]["n_uncovered"] == 0).any()


def test_flood_storeys_of_the_ifc_buildings(demo):
    res = q.run("flood", demo["layers"], level_m=12.0)
    assert res.summary["affected_buildings"] > 0
    storeys = demo["store"].read("ifc_storey")
    ifc = res.layer[res.layer["ifc_guid"].fillna("") != ""]
    assert len(ifc) >= 1
    for _, row in ifc.iterrows():
        expect = storeys[(storeys["building_id"] == row["id"]) & (storeys["elev_m"] < 12.0)]
        assert row["flooded_storeys"] == ",".join(expect["name"])


def test_report_all_lists_the_planted_violations(demo, tmp_path):
    out = tmp_path / "review.html"
    assert main(["--store", demo["url"], "report", "--all", "--out", str(out),
                 "--no-sunlight"]) == 0
    page = out.read_text(encoding="utf-8")
    for key in ("far_parcel", "setback_building", "height_building"):
        assert PLANTED[key] in page
