"""The twin app: navigation and the shared sidebar (language, store). Run with
``streamlit run app.py``; the pages live in ``app_pages/``."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from twin.i18n import LANGUAGES, t
from twin.store import default_store_url, redact_url

_HERE = Path(__file__).resolve().parent
st.set_page_config(page_title="泊里镇数字孪生 Boli twin",
                   page_icon=str(_HERE / "static" / "favicon.png"), layout="wide")

_CODES = list(LANGUAGES)
with st.sidebar:
    lang = st.radio("语言 / Language", _CODES, format_func=LANGUAGES.get, horizontal=True,
                    key="lang")
    # The password of a postgresql:// URL is never shown; the redacted text stands for it.
    st.text_input(t("sidebar.store", lang), value=redact_url(default_store_url()), key="store_url",
                  help=t("sidebar.store_help", lang))

_PAGES = [  # (file, title key, icon, url path)
    ("map.py", "page.map", ":material/map:", "map"),
    ("dashboard.py", "page.dashboard", ":material/dashboard:", "dashboard"),
    ("queries.py", "page.queries", ":material/query_stats:", "queries"),
    ("scenarios.py", "page.scenarios", ":material/science:", "scenarios"),
    ("compare.py", "page.compare", ":material/compare:", "compare"),
    ("portfolio.py", "page.portfolio", ":material/construction:", "portfolio"),
    ("sensors.py", "page.sensors", ":material/sensors:", "sensors"),
    ("import_page.py", "page.import", ":material/upload_file:", "import"),
]
pages = [st.Page(f"app_pages/{file}", title=t(key, lang), icon=icon, url_path=url,
                 default=(url == "map"))
         for file, key, icon, url in _PAGES]
st.navigation(pages).run()
