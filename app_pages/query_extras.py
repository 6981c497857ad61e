"""What the Queries page adds for the planning-analysis queries: catalogue labels for their
summary metrics and descriptions, translucent volumes (控规盒) on the map, the skyline
profile as a chart, and the capacity massing added to a scenario with one button."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.common import gui_message, lang, tr
from twin.errors import TwinError
from twin.i18n import catalog
from twin.render.volumes import has_volumes, volume_layers

__all__ = ["metric_label", "description", "volume_parts", "result_extras"]


def _known(key: str) -> bool:
    return key in catalog(lang())


def metric_label(query: str, key: str) -> str:
    """The catalogue's name (with unit) of summary ``key`` of ``query``, else the key."""
    name = f"{query}.m.{key}"
    return tr(name) if _known(name) else str(key)


def description(spec) -> str:
    """The query's description in the interface language (the spec's text otherwise)."""
    name = f"{spec.name}.desc"
    return tr(name) if _known(name) else spec.description


def volume_parts(name: str, frame, id_column: str | None):
    """Deck layers and data drawing ``frame`` as translucent volumes, when it has heights."""
    if not has_volumes(frame):
        return [], {}
    return volume_layers(frame, name=f"q-{name}", id_column=id_column)


def result_extras(result, the_store, tokens) -> None:
    """The skyline chart, and the capacity massing's add-to-scenario form."""
    if result.name == "skyline" and "profile" in result.tables:
        prof = result.tables["profile"]
        st.markdown(f"**{tr('skyline.chart')}**")
        st.line_chart(pd.DataFrame({tr("skyline.elevation"): prof["elevation_deg"].to_numpy()},
                                   index=prof["azimuth_deg"].to_numpy()), height=220)
    if result.name == "capacity" and len(result.layer):
        from twin.query.capacity import add_massing_to_scenario

        with st.form("capacity_to_scenario"):
            name = st.text_input(tr("capacity.scenario_name"),
                                 value=tr("capacity.scenario_default",
                                          parcel=result.summary.get("parcel", "")))
            go = st.form_submit_button(tr("capacity.add_to_scenario"), type="primary")
        if go:
            try:
                version = add_massing_to_scenario(the_store, name.strip(), result)
            except TwinError as exc:
                st.error(tr("queries.error", error=gui_message(exc)))
            else:
                st.success(tr("capacity.added", name=name.strip(), version=version,
                              blocks=len(result.layer)))
