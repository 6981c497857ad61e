"""The demo's key projects (重点项目): a plausible portfolio for Boli — the hydrogen
industrial park in three phases, 港都茂, the three resettlement areas, schools, the civic
culture centre, the metro TOD, logistics parks, parks and utilities.

Each project's footprint is the union of its parcels (a designated parcel, the first parcels
of a zone, or both); projects that have started deliver the LOD1 buildings on those parcels
(``building_ids``), so that the 4D timeline hides them before the start. Names, money and
dates are invented (see the demo README); three projects are planted as delayed on
:data:`STATUS_DATE`.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import shapely

from ..errors import TwinError
from ..projects import delayed_projects

__all__ = ["PROJECTS", "STATUS_DATE", "DELAYED", "make_projects"]

STATUS_DATE = dt.date(2026, 11, 30)
"""The date the progress figures were reported."""

# (id, name, sector, owner, 亿元, start, planned finish, progress %, status,
#  parcels: designated keys and/or (zone, first n parcels))
PROJECTS = [
    ("KP01", "氢能产业园一期", "industry", "青岛董家口氢能产业投资公司", 58.0,
     "2022-03-01", "2025-12-31", 100, "completed", ("hydrogen", 0, 8)),
    ("KP02", "氢能产业园二期", "industry", "青岛董家口氢能产业投资公司", 72.0,
     "2024-06-01", "2027-06-30", 78, "under_construction", ("hydrogen", 8, 16)),
    ("KP03", "氢能产业园三期", "industry", "青岛董家口氢能产业投资公司", 65.0,
     "2027-03-01", "2029-12-31", 0, "planned", ("hydrogen", 16, 26)),
    ("KP04", "港都茂商业综合体", "commerce", "港都商业发展公司", 35.0,
     "2023-09-01", "2026-06-30", 70, "under_construction", ("newtown", 0, 2)),
    ("KP05", "董家口安置区", "housing", "黄岛区城市更新公司", 28.0,
     "2021-05-01", "2024-10-31", 100, "completed", ("dongjiakou", 0, 16)),
    ("KP06", "临港安置区", "housing", "黄岛区城市更新公司", 24.0,
     "2023-03-01", "2026-09-30", 92, "under_construction", ("lingang", 0, 25)),
    ("KP07", "丰台/小庄/营上安置区", "housing", "黄岛区城市更新公司", 31.0,
     "2024-09-01", "2027-12-31", 62, "under_construction", ("fengtai", 0, 37)),
    ("KP08", "市民文化中心", "culture", "泊里镇人民政府", 12.0,
     "2024-01-15", "2026-12-31", 88, "under_construction", "civic_centre"),
    ("KP09", "临港安置区小学", "education", "黄岛区教育和体育局", 3.2,
     "2024-03-01", "2025-08-31", 100, "completed", "school_lingang"),
    ("KP10", "董家口安置区小学", "education", "黄岛区教育和体育局", 2.8,
     "2025-03-01", "2026-08-31", 100, "completed", "school_dongjiakou"),
    ("KP11", "地铁13号线泊里站TOD", "transport", "青岛地铁集团", 18.0,
     "2023-06-01", "2027-06-30", 80, "under_construction", "metro_boli"),
    ("KP12", "泊里镇卫生院扩建", "health", "黄岛区卫生健康局", 4.5,
     "2025-04-01", "2027-03-31", 78, "under_construction", "hospital"),
    ("KP13", "董家口港物流园", "logistics", "山东港口青岛港", 45.0,
     "2022-08-01", "2026-03-31", 85, "under_construction", ("port", 0, 18)),
    ("KP14", "临港物流园", "logistics", "临港物流投资公司", 26.0,
     "2025-01-01", "2027-12-31", 58, "under_construction", ("logistics", 0, 14)),
    ("KP15", "泊里新城中央公园", "ecology", "泊里镇人民政府", 3.0,
     "2024-04-01", "2025-10-31", 100, "completed", "central_park"),
    ("KP16", "滨海公园", "ecology", "泊里镇人民政府", 2.5,
     "2025-05-01", "2026-12-31", 86, "under_construction", "coast_park"),
    ("KP17", "新城110kV变电站", "energy", "国网青岛供电公司", 2.2,
     "2025-02-01", "2026-06-30", 100, "completed", "substation"),
    ("KP18", "第二水厂扩建", "utilities", "黄岛区水务集团", 6.0,
     "2025-10-01", "2027-09-30", 52, "under_construction", "water_plant"),
    ("KP19", "泊里老城更新一期", "renewal", "黄岛区城市更新公司", 15.0,
     "2025-06-01", "2028-05-31", 42, "under_construction", ("oldtown", 0, 10)),
    ("KP20", "泊里新城中学", "education", "黄岛区教育和体育局", 3.6,
     "2026-03-01", "2027-08-31", 45, "under_construction", "school_middle"),
    ("KP21", "董家口火车站站前广场", "transport", "泊里镇人民政府", 5.0,
     "2027-01-01", "2028-06-30", 0, "planned", "railway_square"),
    ("KP22", "西南配套区人才公寓", "housing", "黄岛区城市更新公司", 9.0,
     "2026-05-01", "2028-04-30", 25, "under_construction", ("southwest", 0, 6)),
    ("KP23", "泊里新城中心学校", "education", "黄岛区教育和体育局", 3.4,
     "2025-09-01", "2027-02-28", 78, "under_construction", "school_central"),
    ("KP24", "泊里新城二期", "housing", "泊里新城开发公司", 40.0,
     "2027-06-01", "2030-12-31", 0, "planned", ("newtown", 60, 70)),
]

DELAYED = ["KP04", "KP06", "KP13"]
"""The projects that are delayed on :data:`STATUS_DATE` (past their planned finish, not
complete)."""


def _parcel_ids(plan, where) -> list[str]:
    parcels = plan.parcels
    if isinstance(where, str):
        return [plan.designated[where]] if where in plan.designated else []
    zone, lo, hi = where
    mine = parcels[(parcels["zone"] == zone) & (parcels["designation"] == "")]
    return mine["id"].iloc[lo:hi].tolist()


def make_projects(plan, buildings) -> gpd.GeoDataFrame:
    """The demo projects in the plan's local metres: footprint (union of their parcels),
    attributes, and the buildings on those parcels for projects that have started."""
    parcels = plan.parcels.set_index("id")
    rows = []
    for (pid, name, sector, owner, yi, start, finish, progress, status, where) in PROJECTS:
        ids = _parcel_ids(plan, where)
        if not ids:
            continue
        footprint = shapely.union_all(parcels.loc[ids].geometry.to_numpy())
        started = dt.date.fromisoformat(start) <= STATUS_DATE
        linked = buildings[buildings["parcel_id"].isin(ids)]["id"].tolist() if started else []
        rows.append({"id": pid, "name": name, "sector": sector, "owner": owner,
                     "investment_cny": yi * 1e8, "start_date": start, "finish_date": finish,
                     "progress_pct": float(progress), "status": status,
                     "building_ids": ",".join(linked), "parcels": ",".join(ids),
                     "geometry": footprint})
    frame = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=plan.parcels.crs)
    late = sorted(delayed_projects(frame, STATUS_DATE)["id"])
    if late != DELAYED:
        raise TwinError(f"the demo projects delayed on {STATUS_DATE} are {late}, not {DELAYED}",
                        hint="fix twin/demo/projects.py")
    return frame
