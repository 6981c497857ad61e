"""Both language catalogues have the same keys, every key the app uses exists, and the
fields in braces match."""

from __future__ import annotations

import re
from pathlib import Path

from twin.i18n import LANGUAGES, catalog, label, t

ROOT = Path(__file__).resolve().parents[1]


def test_same_keys_in_every_language():
    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en), sorted(set(zh) ^ set(en))
    assert list(LANGUAGES) == ["zh", "en"]  # Chinese first


def test_placeholders_match():
    zh, en = catalog("zh"), catalog("en")
    for key in zh:
        assert set(re.findall(r"{(\w+)}", zh[key])) == set(re.findall(r"{(\w+)}", en[key])), key
        assert zh[key].strip() and en[key].strip(), key


def test_every_literal_key_used_by_the_app_exists():
    zh = catalog("zh")
    used = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"\btr?\(\s*\"([a-z_]+\.[a-z_.]+)\"", text))
    missing = sorted(k for k in used if k not in zh)
    assert not missing, missing


def test_every_f_string_key_prefix_exists():
    """``tr(f"import.on_invalid.{v}")``: some catalogue key must start with the literal part."""
    zh = catalog("zh")
    prefixes = set()
    for path in [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        prefixes |= set(re.findall(r"\btr?\(\s*f\"([a-z_]+\.[a-z_.]*)\{", text))
    assert prefixes, "no f-string keys found: the pattern no longer matches the pages"
    missing = sorted(p for p in prefixes if not any(k.startswith(p) for k in zh))
    assert not missing, missing


def test_lookup_and_fallbacks():
    assert t("page.map", "zh") == "一张图"
    assert t("page.map", "en") == "One map"
    assert t("map.preset.building", "en", id="B1") == "IFC building B1"
    assert t("no.such.key", "en") == "no.such.key"
    assert t("page.map", "fr") == "一张图"  # unknown language: Chinese
    assert label("landuse", "R", "zh") == "居住用地"
    assert label("landuse", "Z9", "en") == "Z9"  # unknown value: itself


def test_every_column_of_every_kind_has_a_label():
    """Attribute names in the map's panel and in tables come from ``col.*``."""
    from twin.kinds import KINDS

    zh, en = catalog("zh"), catalog("en")
    missing = sorted({f"col.{c.name}" for kind in KINDS.values() for c in kind.columns}
                     - (set(zh) & set(en)))
    assert not missing, missing


def test_every_query_metric_and_table_column_has_a_label(tmp_path):
    """What a query shows (summary metrics, table headers) has a name in both languages:
    its own ``<query>.m.<key>`` or the shared ``col.<key>``; run on the small town."""
    from small_town import build_town

    from twin.errors import TwinError
    from twin.query import queries, run
    from twin.store import ParquetStore

    store = build_town(ParquetStore(tmp_path / "layers"))
    zh = catalog("zh")
    missing, ran = set(), 0
    for spec in queries():
        if spec.name in ("window_sunlight", "sunlight", "viewshed"):
            continue  # minutes of ray casting; their keys share the col.* names checked here
        try:
            result = run(spec.name, store)
        except TwinError:
            continue  # needs a layer the small town does not have (terrain…)
        ran += 1
        for key in list(result.summary_json()) + [str(c) for c in result.table.columns]:
            if key != "geometry" and f"{spec.name}.m.{key}" not in zh and f"col.{key}" not in zh:
                missing.add(f"{spec.name}: {key}")
    assert ran >= 4, ran
    assert not missing, " ".join(sorted(missing))


def test_every_scenario_diff_check_has_a_label():
    """The checks the scenario diff reports (``far``, ``height``, ``status``…, or
    ``flagged`` for a query without checks) are named in both languages on the Scenarios
    page."""
    from twin.query import queries

    zh, en = catalog("zh"), catalog("en")
    checks = {(s.name, c.name) for s in queries() for c in (s.status_checks or [])}
    checks |= {(s.name, "flagged") for s in queries() if s.diff and not s.status_checks}
    missing = sorted(f"{q}: {c}" for q, c in checks for cat in (zh, en)
                     if f"{q}.m.{c}" not in cat and f"col.{c}" not in cat)
    assert not missing, missing
