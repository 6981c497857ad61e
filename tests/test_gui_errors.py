"""Errors as the app shows them (app_pages.common.gui_message): they name the page and the
control that repairs the problem, never a CLI command, a flag, a server variable or a
temporary path. Through Streamlit's AppTest on the small town."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from small_town import build_town, town_layers

from twin.store import ParquetStore

ROOT = Path(__file__).resolve().parents[1]
CLI_WORDING = re.compile(r"`twin |(?<![\w-])--[a-z]|\$?TWIN_[A-Z]|twin-upload-")


def _page(page: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(f"app_pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _assert_gui_wording(text: str) -> None:
    assert not CLI_WORDING.search(text), text


def test_dashboard_names_the_broken_layer_and_where_to_roll_it_back(tmp_path, monkeypatch):
    store = build_town(ParquetStore(tmp_path / "layers"))
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    for file in (Path(store.root) / "parcels").rglob("*.parquet"):
        file.unlink()                        # the parcels' data file is gone
    at = _page("dashboard")
    (error,) = [e.value for e in at.error]
    assert error.startswith("一屏通览无法计算："), error
    assert "parcels" in error
    assert "在「导入」页的「版本与回滚」中选择图层 parcels，用「回滚到版本」回滚" in error
    _assert_gui_wording(error)


@pytest.mark.parametrize("language, expected", [
    ("zh", "在「导入」页导入一个文件，「图层类型」选「建筑」"),
    ("en", "import a file on the Import page with “Layer kind” set to “Buildings”"),
])
def test_a_query_without_its_layer_says_which_page_imports_it(tmp_path, monkeypatch,
                                                                language, expected):
    from twin.i18n import t

    store = ParquetStore(tmp_path / "layers")
    store.commit([layer for layer in town_layers() if layer.kind == "parcel"], note="parcels")
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    at = _page("queries")
    at.radio(key="lang").set_value(language).run()
    at.selectbox(key="query_name").set_value("setbacks").run()
    at.button[0].click().run()
    assert not at.exception, at.exception
    (error,) = [e.value for e in at.error]
    assert expected in error, error
    _assert_gui_wording(error)
    assert t("queries.error", language, error="").strip(" ：:") in error


def test_a_query_hint_names_the_form_fields_not_the_options(tmp_path, monkeypatch):
    from twin.query import get_query

    store = build_town(ParquetStore(tmp_path / "layers"))
    monkeypatch.setenv("TWIN_STORE", str(store.root))
    at = _page("queries")
    at.selectbox(key="query_name").set_value("sightline").run()
    at.button[0].click().run()               # no viewpoint and no targets given
    assert not at.exception, at.exception
    (error,) = [e.value for e in at.error]
    labels = {p.name: p.label_zh for p in get_query("sightline").params}
    assert f"请在「{labels['viewpoint']}」中设置" in error, error
    assert f"请在「{labels['targets']}」中设置" in error, error
    _assert_gui_wording(error)
