"""Helpers shared by the pages: the session's language and store, cached store reads.

Every cached function takes plain values (store URL, layer name, version, checksum) so that
``st.cache_data`` keys on them; a new version or a rollback gives a new key.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from twin.config import basemap_url, inline_map_data
from twin.i18n import t as _t
from twin.render import prune_data_dir
from twin.store import default_store_url, open_store, redact_url

__all__ = ["lang", "tr", "gui_message", "localize_uploader", "store_url", "store",
           "layer_tokens", "store_or_stop", "read_layer", "deck_options", "DATA_DIR", "DATA_URL"]

# Layer data files served by Streamlit's static serving (server.enableStaticServing).
DATA_DIR = Path(__file__).resolve().parents[1] / "static" / "cache"
DATA_URL = "app/static/cache/"


def deck_options() -> dict:
    """Keyword arguments every page gives :func:`twin.render.build_deck`: the base map
    (``TWIN_BASEMAP_URL``) and layer data served as files (unless ``TWIN_INLINE_MAP_DATA``
    is set; old files are pruned once per session)."""
    options = {"map_style": basemap_url()}
    if inline_map_data():
        return options
    if not st.session_state.get("_twin_pruned"):
        prune_data_dir(DATA_DIR)
        st.session_state["_twin_pruned"] = True
    return {**options, "data_dir": DATA_DIR, "data_url": DATA_URL}


def lang() -> str:
    """The interface language chosen in the sidebar."""
    return st.session_state.get("lang", "zh")


def tr(key: str, **fields) -> str:
    """The text of ``key`` in the chosen language."""
    return _t(key, lang(), **fields)


def store_url() -> str:
    """The store chosen in the sidebar (its redacted default stands for the real URL)."""
    chosen = st.session_state.get("store_url")
    default = default_store_url()
    if not chosen or chosen == redact_url(default):
        return default
    return chosen


def store():
    """The store object (cheap: the embedded store only reads its catalog on demand)."""
    return open_store(store_url())


def layer_tokens(st_obj) -> dict[str, tuple[str, int, str]]:
    """``{layer: (kind, current version, sha256)}``: the cache key of every layer."""
    return {info.name: (info.kind, info.current, info.sha256) for info in st_obj.layers()}


def store_or_stop():
    """``(store, layer tokens)`` of the configured store; when it cannot be opened or read,
    the page shows why and stops."""
    try:
        opened = store()
        return opened, layer_tokens(opened)
    except Exception as exc:  # noqa: BLE001 - any store failure is shown, not raised
        st.error(tr("map.store_error", url=store_url(), error=str(exc)))
        st.stop()


@st.cache_data(show_spinner=False, max_entries=48)
def read_layer(url: str, layer: str, version: int, sha: str):
    """A layer version read from the store (cached on url, layer, version and checksum)."""
    return open_store(url).read(layer, version=version)



# CLI options a message may name, and the control of the app that does the same
_OPTION_CONTROLS = {"--kind": "import.kind", "--crs": "import.crs_input",
                    "--layer": "import.layer", "--on-invalid": "import.on_invalid",
                    "--anchor": "import.anchor.apply", "--building-id": "import.building_id",
                    "--fix-scale": "import.fix_scale", "--allow-empty": "gui.allow_empty",
                    "--encoding": "gui.encoding", "--mode": "import.mode",
                    "--replace": "import.mode.replace", "--map": "gui.mapping"}


# CLI commands a hint may name that a page of the app does, and the sentence naming it
_COMMAND_CONTROLS = [
    (r"(?:roll back with )?`twin rollback (?P<layer>\S+) (?P<version>[^`\s]+)`",
     "gui.do_rollback"),
    (r"(?:see )?`twin (?:versions|layers)[^`]*`", "gui.do_versions"),
    (r"(?:import one with )?`twin import [^`]*?--kind (?P<kind>[a-z_]+)[^`]*`",
     "gui.do_import"),
    (r"(?:import it with )?`twin import [^`]*`", "gui.do_import_any"),
    (r"(?:create it with )?`twin scenario new[^`]*`", "gui.do_scenario_new"),
    (r"`twin query (?:select|run)[^`]*`", "gui.do_query"),
]


def gui_message(text, *, upload: Path | None = None, name: str = "",
                controls: dict[str, str] | None = None) -> str:
    """An error written for the command line, reworded for the app: the private upload path
    becomes the file's name, each CLI option the control that does the same
    (``pass --kind`` → ``选择「图层类型」``), a ``twin …`` command the app has a page for
    (rollback, import, a new scenario) the page and control that do it, any other command
    and a ``$TWIN_…`` server setting a sentence that says who can act. ``controls``
    (``{"--viewpoint": "视点"}``) names the page's own controls for more options."""
    text = str(text)
    if upload is not None:
        text = text.replace(str(upload), name or Path(upload).name)
    text = re.sub(r"(?:/[^\s:]*)?/twin-upload-[^/\s]+/(?:[0-9a-f]{12}/)?", "", text)
    for pattern, key in _COMMAND_CONTROLS:
        text = re.sub(pattern, lambda m, k=key: tr(k, **_named(m.groupdict())), text)
    text = re.sub(r"`twin [^`]*`", tr("gui.cli_command"), text)
    text = re.sub(r"\$?\bTWIN_[A-Z_]+\b", tr("gui.server_setting"), text)
    named = {**{option: tr(key) for option, key in _OPTION_CONTROLS.items()},
             **(controls or {})}
    for option in sorted(named, key=len, reverse=True):
        text = re.sub(rf"(?:\b(?:pass|use|with|set)\s+(?:the\s+\w+'s\s+real\s+CRS\s+with\s+)?)?"
                      rf"{re.escape(option)}(?![\w-])(?:\s+(?=[A-Z<])[^\s,;.)]+)?",
                      tr("gui.control", control=named[option]).replace("\\", "\\\\"), text)
    return text


def _named(fields: dict) -> dict:
    """A command's arguments as the app names them (a layer kind by its label)."""
    from twin.i18n import label

    return {k: label("kind", v, lang()) if k == "kind" else v for k, v in fields.items()}


def localize_uploader() -> None:
    """Put the interface language on every file uploader of the page: Streamlit draws its
    button and drop text in English and has no option for them, so a style rule hides
    that text and shows the catalogue's (the size limit is in the uploader's own label)."""
    button, drop = tr("import.uploader_button"), tr("import.uploader_drop")
    st.markdown(
        "<style>"
        "[data-testid=stFileUploaderDropzone] button,"
        "[data-testid=stFileUploaderDropzone] button *{font-size:0 !important}"
        "[data-testid=stFileUploaderDropzone] button [data-testid=stIconMaterial]"
        "{font-size:1.25rem !important}"
        "[data-testid=stFileUploaderDropzone] button::after{content:" + _css_text(button) +
        ";font-size:14px}"
        "[data-testid=stFileUploaderDropzoneInstructions] span{font-size:0 !important}"
        "[data-testid=stFileUploaderDropzoneInstructions] > div > span:first-of-type::after"
        "{content:" + _css_text(drop) + ";font-size:14px}"
        "[data-testid=stFileUploaderDropzoneInstructions] small{display:none}"
        "</style>", unsafe_allow_html=True)


def _css_text(text: str) -> str:
    return '"' + "".join(ch if ch.isalnum() or ch in " 、，" else f"\\{ord(ch):x} "
                         for ch in text) + '"'
