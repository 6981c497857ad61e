"""The one map's terrain: the store's DEM as a lit surface under the town (see
:mod:`twin.render.terrain`), its sidebar panel and its legend entries."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages.common import read_layer, tr
from twin.i18n import label
from twin.render.terrain import prepare_terrain, terrain_layer, terrain_legend

__all__ = ["SITE_KINDS", "terrain_mesh", "terrain_panel", "terrain_parts"]

SITE_KINDS = ("parcel", "building")  # the town's site: drawn at height 0


@st.cache_data(show_spinner=False, max_entries=8)
def terrain_mesh(url: str, layer: str, version: int, sha: str, site: tuple):
    """The terrain mesh of a DEM layer version around the site layers ``site``
    (``(name, version, sha)`` each), cached on all of them."""
    frames = [read_layer(url, n, v, s)[["geometry"]] for n, v, s in site]
    frames = [f for f in frames if len(f)]
    site_frame = None
    if frames:
        crs = frames[0].crs
        site_frame = gpd.GeoDataFrame(pd.concat([f.to_crs(crs) for f in frames],
                                                ignore_index=True), crs=crs)
    return prepare_terrain(read_layer(url, layer, version, sha), site=site_frame)


def terrain_panel(tokens: dict, language: str) -> dict:
    """The sidebar controls of each terrain layer: ``{name: (visible, legend slot)}``."""
    out = {}
    for name in sorted(n for n, v in tokens.items() if v[0] == "terrain"):
        with st.expander(f"{label('kind', 'terrain', language)} · {name}", expanded=False):
            visible = st.checkbox(tr("map.visible"), value=True, key=f"vis::{name}")
            st.caption(tr("terrain.relative"))
            out[name] = (visible, st.empty())
    return out


def terrain_parts(url: str, tokens: dict, panel: dict):
    """``(deck layers, data, legend entries, WGS84 bounds or None)`` of the visible terrain
    layer with the highest version number: one surface is enough (two DEMs of one place
    would fight)."""
    site = tuple((n, v[1], v[2]) for n, v in sorted(tokens.items()) if v[0] in SITE_KINDS)
    for name in sorted(panel, key=lambda n: -tokens[n][1]):
        visible, _slot = panel[name]
        if not visible:
            continue
        kind, version, sha = tokens[name]
        mesh = terrain_mesh(url, name, version, sha, site)
        if mesh is None:
            continue
        layers, data = terrain_layer(mesh, name=name)
        legend = [(tr("terrain.legend", m=f"{z:g}"), color) for z, color in terrain_legend(mesh)]
        return layers, data, legend, mesh.bounds
    return [], {}, [], None
