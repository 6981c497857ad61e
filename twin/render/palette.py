"""Colours of the one map: GB 50137 land use, road classes, building use and height, IFC
classes, facilities and sensors. Pure data; no pydeck.

The land-use colours follow the conventional planning-map palette used with GB 50137-2011
(城市用地分类与规划建设用地标准): residential yellow, public service magenta, commercial red,
industrial brown, logistics violet, transport grey, utilities teal-blue, green space green,
water and non-construction land pale cyan/olive.

Example
-------
>>> from twin.render.palette import land_use_color
>>> land_use_color("R2")
(255, 255, 0)
"""

from __future__ import annotations

import math

__all__ = [
    "LAND_USE_COLORS",
    "VALUE_RAMP",
    "DEPTH_RAMP",
    "ramp_color",
    "ROAD_CLASS_COLORS",
    "BUILDING_USE_COLORS",
    "IFC_CLASS_COLORS",
    "FACILITY_COLORS",
    "SENSOR_COLORS",
    "WATER_COLOR",
    "HEIGHT_BINS",
    "land_use_color",
    "land_use_group",
    "road_color",
    "building_use_group",
    "height_bin",
    "height_color",
    "ifc_class_color",
    "hex_color",
]

Color = tuple[int, int, int]

# GB 50137-2011 major classes (大类) and the common sub-classes that get their own shade.
LAND_USE_COLORS: dict[str, Color] = {
    "R": (255, 255, 0),      # 居住用地
    "R1": (255, 255, 127),
    "R2": (255, 255, 0),
    "R3": (229, 229, 0),
    "A": (255, 0, 255),      # 公共管理与公共服务设施用地
    "A3": (255, 127, 159),   # 教育科研
    "A5": (255, 159, 191),   # 医疗卫生
    "B": (255, 0, 0),        # 商业服务业设施用地
    "M": (191, 127, 63),     # 工业用地
    "W": (159, 127, 255),    # 物流仓储用地
    "S": (160, 160, 160),    # 道路与交通设施用地
    "U": (0, 127, 191),      # 公用设施用地
    "G": (0, 200, 0),        # 绿地与广场用地
    "G1": (0, 200, 0),
    "G2": (127, 223, 127),
    "G3": (159, 255, 159),
    "H": (200, 160, 120),    # 建设用地 (城乡)
    "E": (191, 223, 127),    # 非建设用地
    "E1": (127, 223, 255),   # 水域
    "E2": (191, 223, 127),   # 农林用地
}
UNKNOWN: Color = (200, 200, 200)

ROAD_CLASS_COLORS: dict[str, Color] = {
    "expressway": (230, 120, 40), "motorway": (230, 120, 40), "快速路": (230, 120, 40),
    "arterial": (245, 175, 60), "primary": (245, 175, 60), "trunk": (245, 175, 60),
    "主干路": (245, 175, 60),
    "secondary": (250, 210, 110), "次干路": (250, 210, 110),
    "branch": (215, 215, 215), "tertiary": (215, 215, 215), "支路": (215, 215, 215),
    "residential": (225, 225, 225), "service": (225, 225, 225),
}

BUILDING_USE_COLORS: dict[str, Color] = {
    "residential": (240, 205, 120),
    "commercial": (235, 120, 110),
    "public": (210, 130, 210),
    "industrial": (175, 140, 105),
    "warehouse": (160, 140, 220),
    "port": (110, 150, 200),
    "other": (190, 190, 190),
}
_USE_ALIASES = {
    "residential": ("residential", "house", "apartments", "dwelling", "住宅", "居住", "r"),
    "commercial": ("commercial", "retail", "office", "shop", "hotel", "商业", "办公", "b"),
    "public": ("public", "school", "hospital", "civic", "government", "公共", "学校", "医院",
               "a", "education", "clinic"),
    "industrial": ("industrial", "factory", "manufacture", "工业", "厂房", "m"),
    "warehouse": ("warehouse", "logistics", "storage", "仓储", "物流", "w"),
    "port": ("port", "harbour", "harbor", "terminal", "港口", "码头"),
}

IFC_CLASS_COLORS: dict[str, Color] = {
    "IfcWall": (225, 220, 205), "IfcWallStandardCase": (225, 220, 205),
    "IfcSlab": (170, 170, 175), "IfcRoof": (175, 85, 70), "IfcColumn": (150, 150, 160),
    "IfcBeam": (140, 140, 150), "IfcDoor": (150, 100, 60), "IfcWindow": (120, 190, 235),
    "IfcStair": (190, 160, 120), "IfcStairFlight": (190, 160, 120),
    "IfcRailing": (110, 110, 110), "IfcCovering": (210, 200, 180),
    "IfcFurnishingElement": (200, 150, 100), "IfcSpace": (120, 200, 150),
    "IfcMember": (160, 150, 140), "IfcPlate": (130, 180, 210),
}

FACILITY_COLORS: dict[str, Color] = {
    "school": (40, 110, 220), "kindergarten": (90, 150, 240), "clinic": (220, 50, 60),
    "hospital": (200, 30, 40), "elderly_care": (160, 80, 200), "metro_station": (20, 20, 20),
    "bus_stop": (80, 80, 80), "park": (30, 160, 60), "market": (240, 140, 20),
}
SENSOR_COLORS: dict[str, Color] = {
    "water_level": (0, 120, 230), "rain": (60, 160, 230), "video": (90, 90, 90),
    "gas": (230, 120, 0), "noise": (150, 100, 200), "air": (100, 180, 100),
}
ALARM_COLOR: Color = (230, 30, 30)
WATER_COLOR: Color = (110, 180, 235)

# Height bins (metres) for "colour by height"; a light-to-dark blue-violet ramp.
HEIGHT_BINS: tuple[float, ...] = (0, 10, 24, 50, 100)
_HEIGHT_RAMP: tuple[Color, ...] = (
    (237, 248, 177), (161, 218, 180), (65, 182, 196), (44, 127, 184), (37, 52, 148),
)


def land_use_group(code) -> str:
    """The palette key for a land-use ``code``: the code itself if it has a colour, else its
    major class letter, else ``"?"``."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return "?"
    text = str(code).strip().upper()
    if text in LAND_USE_COLORS:
        return text
    if text[:2] in LAND_USE_COLORS:
        return text[:2]
    if text[:1] in LAND_USE_COLORS:
        return text[:1]
    return "?"


def land_use_color(code) -> Color:
    """The GB 50137 colour of a land-use code (``"R2"``, ``"B"``, ``"G1"``…)."""
    return LAND_USE_COLORS.get(land_use_group(code), UNKNOWN)


def road_color(road_class) -> Color:
    """The colour of a road class (OSM or Chinese class names)."""
    return ROAD_CLASS_COLORS.get(str(road_class).strip().lower(), (235, 235, 235))


def building_use_group(use) -> str:
    """Map a free-text building use onto one of :data:`BUILDING_USE_COLORS`' keys."""
    if use is None or (isinstance(use, float) and math.isnan(use)):
        return "other"
    text = str(use).strip().lower()
    for group, aliases in _USE_ALIASES.items():
        if text in aliases or any(a in text for a in aliases if len(a) > 2):
            return group
    return "other"


def height_bin(height) -> int:
    """Index of the height bin for ``height`` metres (0 for unknown)."""
    try:
        h = float(height)
    except (TypeError, ValueError):
        return 0
    if not math.isfinite(h):
        return 0
    idx = 0
    for i, edge in enumerate(HEIGHT_BINS):
        if h >= edge:
            idx = i
    return idx


def height_color(index: int) -> Color:
    """The colour of height bin ``index``."""
    return _HEIGHT_RAMP[max(0, min(index, len(_HEIGHT_RAMP) - 1))]


def ifc_class_color(ifc_class) -> Color:
    """The colour of an IFC class (its own, else by prefix, else neutral grey)."""
    text = str(ifc_class or "")
    if text in IFC_CLASS_COLORS:
        return IFC_CLASS_COLORS[text]
    for name, color in IFC_CLASS_COLORS.items():
        if text.startswith(name):
            return color
    return (200, 200, 200)


def hex_color(color) -> str:
    """``(r, g, b)`` as ``#rrggbb``."""
    r, g, b = (int(c) for c in list(color)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


# Sequential ramps for numbers cut into bins (query results): light to dark.
VALUE_RAMP = [(255, 237, 160), (254, 178, 76), (253, 141, 60), (240, 59, 32), (189, 0, 38)]
DEPTH_RAMP = [(198, 219, 239), (107, 174, 214), (49, 130, 189), (8, 81, 156), (8, 48, 107)]


def ramp_color(ramp, i: int, n: int) -> tuple[int, int, int]:
    """Colour ``i`` of ``n`` ascending bins spread over ``ramp`` (first and last kept)."""
    if n <= 1:
        return tuple(ramp[len(ramp) // 2])
    return tuple(ramp[round(i * (len(ramp) - 1) / (n - 1))])
