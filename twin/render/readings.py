"""Sensor status: the latest reading of each sensor and whether it is over its threshold.

A sensor's threshold comes from its own ``threshold`` (or ``alarm_threshold``,
``warn_level``) attribute; a sensor without one is never in alarm.

Example
-------
>>> latest = latest_readings(readings, sensors)  # doctest: +SKIP
>>> latest[["sensor_id", "value", "alarm"]]  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["THRESHOLD_COLUMNS", "thresholds", "latest_readings"]

THRESHOLD_COLUMNS = ("threshold", "alarm_threshold", "warn_level", "alarm_level")


def thresholds(sensors: pd.DataFrame) -> pd.Series:
    """Threshold per sensor id (NaN when the sensor has none)."""
    ids = sensors["id"].astype("string") if "id" in sensors.columns else pd.Series(dtype="string")
    out = pd.Series(np.nan, index=ids.to_numpy(), dtype=float)
    for col in THRESHOLD_COLUMNS:
        if col in sensors.columns:
            vals = pd.to_numeric(sensors[col], errors="coerce").to_numpy(dtype=float)
            out = out.where(out.notna(), pd.Series(vals, index=ids.to_numpy()))
    return out


def latest_readings(readings: pd.DataFrame | None, sensors: pd.DataFrame | None) -> pd.DataFrame:
    """One row per sensor with readings: ``sensor_id``, ``time``, ``value`` (the latest),
    ``threshold``, ``alarm`` (latest value above threshold), ``peak`` (highest value in the
    table), ``exceeded`` (the peak is above threshold) and ``kind``/``unit`` when the sensor
    layer has them."""
    cols = ["sensor_id", "time", "value", "threshold", "alarm", "peak", "exceeded", "kind",
            "unit"]
    if readings is None or len(readings) == 0:
        return pd.DataFrame(columns=cols)
    frame = readings[["sensor_id", "time", "value"]].copy()
    frame["sensor_id"] = frame["sensor_id"].astype("string")
    frame["_t"] = pd.to_datetime(frame["time"], errors="coerce", utc=True)
    frame = frame.sort_values(["sensor_id", "_t"], na_position="first", kind="stable")
    last = frame.groupby("sensor_id", sort=True).tail(1).drop(columns="_t")
    last["value"] = pd.to_numeric(last["value"], errors="coerce")
    peaks = pd.to_numeric(frame["value"], errors="coerce").groupby(frame["sensor_id"]).max()
    last["peak"] = last["sensor_id"].map(peaks).astype(float)
    last["time"] = last["time"].astype("string")
    if sensors is not None and len(sensors) and "id" in sensors.columns:
        th = thresholds(sensors)
        last["threshold"] = last["sensor_id"].map(th).astype(float)
        meta = pd.DataFrame(sensors.drop(columns="geometry", errors="ignore"))
        meta = meta.assign(id=meta["id"].astype("string")).set_index("id")
        for col in ("kind", "unit"):
            last[col] = last["sensor_id"].map(meta[col]) if col in meta.columns else pd.NA
    else:
        last["threshold"] = np.nan
        last["kind"] = pd.NA
        last["unit"] = pd.NA
    last["alarm"] = (last["value"] > last["threshold"]).fillna(False).astype(bool)
    last["exceeded"] = (last["peak"] > last["threshold"]).fillna(False).astype(bool)
    return last[cols].reset_index(drop=True)
