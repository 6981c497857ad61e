"""The one map's first view: the town's bounds fitted to the frame's aspect and tilt.

deck.gl's map camera looks at the view's centre from 1.5 frame heights away (field of view
2·atan(1/3) ≈ 36.9°). Tilted, the near edge of the town is magnified and the far edge shrunk,
so a zoom that fits the bounds' box flat (:func:`twin.render.deck.bounds_view`) leaves the
frame half empty. :func:`fitted_view` projects the bounds' corners through that camera and
picks the largest zoom, and the centre, at which they fill the frame.

:func:`project` is the same camera as a function: a WGS84 point's pixel in the frame, which
the browser tests use to click on known places of the drawn town.

Example
-------
>>> view = fitted_view((119.90, 35.72, 119.97, 35.76), width_px=1000, height_px=640)
>>> 13 < view["zoom"] < 15
True
"""

from __future__ import annotations

import math

__all__ = ["fitted_view", "project", "FRAME_WIDTH_PX", "FRAME_HEIGHT_PX"]

# The one map's frame: its height is set by the page; its width is the page's (not known to
# the server), taken for a 1400 px wide browser window with the sidebar open.
FRAME_WIDTH_PX = 1040
FRAME_HEIGHT_PX = 640
_ALTITUDE = 1.5  # deck.gl's default camera distance, in frame heights
_TILE = 512.0  # deck.gl's world size in pixels at zoom 0


def _merc_y(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _lat_of(merc: float) -> float:
    return math.degrees(2 * math.atan(math.exp(merc)) - math.pi / 2)


def project(view: dict, lon: float, lat: float, *, width_px: float = FRAME_WIDTH_PX,
            height_px: float = FRAME_HEIGHT_PX) -> tuple[float, float] | None:
    """The pixel ``(x, y)`` (from the frame's top left) at which ``view`` draws the ground
    point ``lon, lat``; None when it lies behind the camera's horizon."""
    scale = _TILE * 2.0 ** view["zoom"]
    dx = (lon - view["longitude"]) / 360.0 * scale
    dy = (_merc_y(lat) - _merc_y(view["latitude"])) / (2 * math.pi) * scale
    bearing = math.radians(view.get("bearing", 0.0))
    pitch = math.radians(view.get("pitch", 0.0))
    forward = dx * math.sin(bearing) + dy * math.cos(bearing)
    right = dx * math.cos(bearing) - dy * math.sin(bearing)
    focal = _ALTITUDE * height_px
    depth = forward * math.sin(pitch) + focal
    if depth <= 1e-6 * focal:
        return None
    x = width_px / 2 + focal * right / depth
    y = height_px / 2 - focal * forward * math.cos(pitch) / depth
    return x, y


def _corners(bounds):
    west, south, east, north = bounds
    return [(west, south), (east, south), (east, north), (west, north)]


def _extent(view, bounds, width_px, height_px):
    pts = [project(view, lon, lat, width_px=width_px, height_px=height_px)
           for lon, lat in _corners(bounds)]
    if any(p is None for p in pts):
        return None
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return min(xs), min(ys), max(xs), max(ys)


def fitted_view(bounds, *, width_px: float = FRAME_WIDTH_PX,
                height_px: float = FRAME_HEIGHT_PX, pitch: float = 45.0, bearing: float = 0.0,
                margin: float = 0.02, max_zoom: float = 19.0) -> dict:
    """The view that shows WGS84 ``bounds`` ``(west, south, east, north)`` as large as the
    ``width_px`` × ``height_px`` frame allows at ``pitch``/``bearing``, centred in it, with
    ``margin`` (a share of the frame) free on the tightest side."""
    west, south, east, north = bounds
    lon = (west + east) / 2.0
    merc = (_merc_y(south) + _merc_y(north)) / 2.0
    base = {"pitch": pitch, "bearing": bearing}
    usable_w, usable_h = width_px * (1 - 2 * margin), height_px * (1 - 2 * margin)

    def centred(zoom):
        """The view at ``zoom`` whose projected bounds are centred in the frame."""
        nonlocal lon, merc
        view = None
        for _ in range(12):  # the centre's shift converges in a few steps
            view = {**base, "longitude": lon, "latitude": _lat_of(merc), "zoom": zoom}
            box = _extent(view, bounds, width_px, height_px)
            if box is None:
                return view, None
            cx, cy = (box[0] + box[2]) / 2 - width_px / 2, (box[1] + box[3]) / 2 - height_px / 2
            if abs(cx) < 0.25 and abs(cy) < 0.25:
                break
            # move the centre towards the box's centre, in ground units at the centre
            scale = _TILE * 2.0 ** zoom
            b = math.radians(bearing)
            forward = -cy / max(math.cos(math.radians(pitch)), 0.05)
            right = cx
            dx = right * math.cos(b) + forward * math.sin(b)
            dy = -right * math.sin(b) + forward * math.cos(b)
            lon += dx / scale * 360.0
            merc += dy / scale * 2 * math.pi
        return view, box

    lo, hi = 1.0, max_zoom
    for _ in range(40):
        mid = (lo + hi) / 2
        _view, box = centred(mid)
        fits = box is not None and box[2] - box[0] <= usable_w and box[3] - box[1] <= usable_h
        lo, hi = (mid, hi) if fits else (lo, mid)
    zoom = math.floor(lo * 100) / 100  # rounded down: still inside the frame
    view, _box = centred(zoom)
    return {"longitude": round(view["longitude"], 6), "latitude": round(view["latitude"], 6),
            "zoom": zoom, "pitch": pitch, "bearing": bearing, "maxPitch": 85}
