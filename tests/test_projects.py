"""The project kind (项目管家): `twin import projects.geojson --kind project` with good and
bad input (one clear line each, store unchanged), the timeline rules and
`twin query projects --at DATE`."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from small_town import build_town

from twin.cli import main
from twin.errors import SchemaError
from twin.projects import check_projects, delayed_projects, hidden_buildings, projects_at
from twin.store import ParquetStore

GOOD = [
    {"id": "KP1", "name": "氢能产业园一期", "owner": "氢能公司", "sector": "industry",
     "investment": 5.0e9, "start": "2024-03-01", "finish": "2026-12-31", "progress": 45,
     "status": "在建", "building_ids": "B1,B2"},
    {"id": "KP2", "name": "港都茂", "owner": "港都商业", "sector": "commerce",
     "investment": 2.0e9, "start": "2025-09-01", "finish": "2027-06-30", "progress": 0,
     "status": "planned", "building_ids": "B3"},
]


def _write(path, rows):
    feats = [{"type": "Feature", "properties": r,
              "geometry": {"type": "Point", "coordinates": [119.90 + 0.003 * i, 35.731]}}
             for i, r in enumerate(rows)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats},
                               ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path):
    return build_town(ParquetStore(tmp_path / "layers"))


def _snapshot(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_import_projects_and_query_at_a_date(store, tmp_path, capsys):
    src = _write(tmp_path / "projects.geojson", GOOD)
    root = str(store.root)
    assert main(["--store", root, "import", str(src), "--kind", "project"]) == 0
    frame = store.read("project")  # the layer is named after the kind
    assert frame.set_index("id").loc["KP1", "status"] == "在建"
    assert frame.set_index("id").loc["KP1", "investment_cny"] == 5.0e9
    capsys.readouterr()
    assert main(["--store", root, "query", "projects", "--at", "2025-06-30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["summary"]["not_started"] == 1 and out["summary"]["under_construction"] == 1
    assert out["summary"]["buildings_not_yet_built"] == 1  # KP2's B3
    states = {r["id"]: r["state"] for r in out["rows"]}
    assert states == {"KP1": "under_construction", "KP2": "not_started"}
    assert main(["--store", root, "query", "projects", "--at", "2028-01-01",
                 "--state", "finished"]) == 0
    text = capsys.readouterr().out
    assert "KP1" in text and "KP2" in text


@pytest.mark.parametrize("change, message", [
    ({"start": "2024-13-01"},
     "project KP1 (氢能产业园一期): start_date '2024-13-01' is not a date. Hint: write dates "
     "as YYYY-MM-DD"),
    ({"finish": "next year"}, "finish_date 'next year' is not a date"),
    ({"progress": 150}, "project KP1 (氢能产业园一期): progress_pct 150 is outside 0–100"),
    ({"progress": -5}, "progress_pct -5 is outside 0–100"),
    ({"finish": "2023-12-31"},
     "project KP1 (氢能产业园一期): planned finish 2023-12-31 is before the start 2024-03-01"),
    ({"status": "dreaming"}, "status 'dreaming' is unknown. Hint: use one of planned"),
])
def test_bad_project_is_one_line_and_store_unchanged(store, tmp_path, capsys, change, message):
    root = str(store.root)
    assert main(["--store", root, "import", str(_write(tmp_path / "ok.geojson", GOOD)),
                 "--kind", "project", "--layer", "projects"]) == 0
    before = _snapshot(store.root)
    bad = _write(tmp_path / "bad.geojson", [{**GOOD[0], **change}, GOOD[1]])
    capsys.readouterr()
    assert main(["--store", root, "import", str(bad), "--kind", "project",
                 "--layer", "projects"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"error: {bad}: ") and message in err[0], err[0]
    assert _snapshot(store.root) == before
    assert [v.version for v in store.versions("projects")] == [1]


def test_commit_checks_the_rules_too():
    frame = pd.DataFrame({"id": ["X"], "name": ["x"], "progress_pct": ["lots"]})
    with pytest.raises(SchemaError, match="progress_pct 'lots' is not a number"):
        check_projects(frame, layer="projects")


def test_timeline_states_delays_and_hidden_buildings():
    frame = pd.DataFrame({
        "id": ["A", "B", "C", "D"], "start_date": ["2024-01-01", "2024-01-01", "2026-01-01",
                                                   "2023-01-01"],
        "finish_date": ["2026-01-01", "2026-01-01", "2027-01-01", "2024-06-30"],
        "progress_pct": [50.0, 20.0, 0.0, 90.0],
        "status": ["under_construction", "在建", "planned", "under_construction"],
        "building_ids": ["B1", "B2,B3", "B4, B5", None]})
    at = projects_at(frame, dt.date(2025, 1, 1)).set_index("id")
    assert list(at["state"]) == ["under_construction", "under_construction", "not_started",
                                 "finished"]
    assert at.loc["A", "expected_pct"] == pytest.approx(366 / 731 * 100, abs=0.05)
    assert list(at["delayed"]) == [False, True, False, True]  # B behind, D past its finish
    assert list(delayed_projects(frame, "2025-01-01")["id"]) == ["B", "D"]
    assert hidden_buildings(frame, "2025-01-01") == {"B4", "B5"}
    assert hidden_buildings(frame, "2023-06-01") == {"B1", "B2", "B3", "B4", "B5"}


def test_demo_projects_plant_the_delays(tmp_path):
    from twin.demo.projects import DELAYED, STATUS_DATE
    from twin.store import open_store

    root = tmp_path / "demo"
    assert main(["--store", str(root), "demo", "--data", str(tmp_path / "boli")]) == 0
    projects = open_store(root).read("project")
    assert len(projects) >= 20
    assert {"氢能产业园一期", "港都茂商业综合体", "临港安置区"} <= set(projects["name"])
    assert sorted(delayed_projects(projects, STATUS_DATE)["id"]) == DELAYED
    assert hidden_buildings(projects, "2021-01-01")  # the 4D view hides buildings early on
