"""On the Boli demo twin: the IFC apartment's modelled IfcWindows are the receivers of its
window sunlight, the viewshed sees over the real terrain, and the envelope flags the planted
over-height building."""

from __future__ import annotations

import pytest

import twin.query as q
from twin.cli import main
from twin.demo.build import PLANTED
from twin.store import open_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("pdemo")
    url = str(root / "layers")
    assert main(["--store", url, "demo", "--data", str(root / "boli")]) == 0
    store = open_store(url)
    return {"store": store, "url": url, "layers": q.QueryInputs(store)}


def test_ifc_apartment_windows_come_from_the_model(demo):
    layers = demo["layers"]
    b = layers["building"]
    apt = b[b["id"] == "IFC-dongjiakou_apartment"]
    assert len(apt)
    from twin.query.local import LocalPlan, mask_receivers

    only = layers.copy().override("building", mask_receivers(b, LocalPlan(frozenset(apt["id"]))))
    res = q.run("window_sunlight", only)
    win = res.layer
    assert len(win) and set(win["source"]) == {"ifc"}
    elements = layers["bim_element"]
    mine = elements[(elements["ifc_class"] == "IfcWindow")
                    & (elements["building_id"] == "IFC-dongjiakou_apartment")]
    south = mine[mine["name"].astype(str).str.contains("南窗")]
    assert set(win["id"]) <= set(elements["guid"])
    assert set(south["guid"]) <= set(win["id"])  # every south window is a receiver
    assert not set(win["id"]) & set(mine.loc[mine["name"].astype(str).str.contains("北窗"),
                                             "guid"])
    # sills from the model: the bottom of each window's mesh
    z = mine.set_index("guid")["z_min_m"]
    assert (win.set_index("id")["z_m"] - z.reindex(win["id"]).to_numpy()).abs().max() < 1e-3
    assert res.summary["ifc_windows"] == len(win)


def test_envelope_flags_the_planted_over_height_building(demo):
    res = q.run("envelope", demo["layers"])
    out = res.extra_layers["outside"]
    assert PLANTED["height_building"] in set(out["id"])


def test_viewshed_of_1km_over_the_demo_terrain(demo):
    res = q.run("viewshed", demo["layers"], radius_m=1000, viewpoint="IFC-civic_culture_centre")
    assert 0 < res.summary["visible_share"] < 1
    assert res.summary["visible_buildings"] > 0
    assert "IFC-civic_culture_centre" not in set(res.layer["id"])  # the eye stands on it


def test_cli_capacity_writes_the_massing(demo, tmp_path, capsys):
    parcel = demo["store"].read("parcel")
    pid = str(parcel[parcel["land_use"].astype(str).str.startswith("R")]["id"].iloc[0])
    out = tmp_path / "massing.geojson"
    assert main(["--store", demo["url"], "query", "capacity", "--parcel", pid,
                 "--existing-buildings", "replace", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "binding" in text and out.exists()
