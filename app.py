"""The twin app: navigation and the shared sidebar (language, store). Run with
``streamlit run app.py``; the pages live in ``app_pages/``."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from twin.i18n import LANGUAGES, t
from twin.store import default_store_url

_HERE = Path(__file__).resolve().parent
st.set_page_config(page_title="泊里镇数字孪生 Boli twin",
                   page_icon=str(_HERE / "static" / "favicon.png"), layout="wide")

_CODES = list(LANGUAGES)
with st.sidebar:
    lang = st.radio("语言 / Language", _CODES, format_func=LANGUAGES.get, horizontal=True,
                    key="lang")
    st.text_input(t("sidebar.store", lang), value=default_store_url(), key="store_url",
                  help=t("sidebar.store_help", lang))

_PAGES = [  # (file, title key, icon, url path); a page another engineer has not written yet
    ("map.py", "page.map", ":material/map:", "map"),  # is simply left out of the menu
    ("dashboard.py", "page.dashboard", ":material/dashboard:", "dashboard"),
    ("queries.py", "page.queries", ":material/query_stats:", "queries"),
    ("scenarios.py", "page.scenarios", ":material/science:", "scenarios"),
    ("import_page.py", "page.import", ":material/upload_file:", "import"),
]
pages = [st.Page(f"app_pages/{file}", title=t(key, lang), icon=icon, url_path=url,
                 default=(url == "map"))
         for file, key, icon, url in _PAGES if (_HERE / "app_pages" / file).exists()]
st.navigation(pages).run()
