"""Sensor playback (全域感知): the readings of every sensor at a chosen time, their colours by
reading and threshold, one sensor's series, alerts over time and the water level that drives
the flood query at that time.

A sensor's state at time *t* is its latest reading at or before *t*. With a threshold
(``threshold``, ``alarm_threshold``, ``warn_level`` or ``alarm_level`` on the sensor) it is
coloured by ``value / threshold``: green below 80 %, amber up to the threshold, red above it
(an alert). Without one, by where the value lies between the sensor's own lowest and highest
reading (blue to orange). A sensor without a reading by *t* is grey.

Example
-------
>>> at = readings_at(readings, sensors, "2026-07-01T03:00:00")        # doctest: +SKIP
>>> at[["sensor_id", "value", "alarm"]]                                # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import TwinError

__all__ = ["reading_times", "readings_at", "sensor_colors", "series_of", "alerts_over_time",
           "water_level_at", "OK_COLOR", "WARN_COLOR", "ALERT_COLOR", "NO_DATA_COLOR"]

OK_COLOR = (40, 170, 80)
WARN_COLOR = (245, 180, 0)
ALERT_COLOR = (225, 30, 40)
NO_DATA_COLOR = (150, 150, 150)
_LOW, _HIGH = np.array([60, 120, 220]), np.array([250, 120, 30])


def _times(readings: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(readings["time"].astype("string"), errors="coerce", utc=True,
                          format="mixed")


def _tz(readings: pd.DataFrame):
    """The offset the readings were written in (the twin's local time), for display."""
    first = readings["time"].dropna().astype(str)
    if first.empty:
        return None
    stamp = pd.Timestamp(first.iloc[0])
    return stamp.tz if stamp.tz is not None else None


def reading_times(readings: pd.DataFrame) -> list[pd.Timestamp]:
    """The distinct reading times, oldest first (UTC timestamps)."""
    if readings is None or not len(readings):
        return []
    return sorted(_times(readings).dropna().unique())


def _when(value) -> pd.Timestamp:
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tz is None else stamp.tz_convert("UTC")


def readings_at(readings: pd.DataFrame, sensors: pd.DataFrame, when) -> pd.DataFrame:
    """One row per sensor of ``sensors``: ``sensor_id``, ``kind``, ``unit``, ``time`` and
    ``value`` of its latest reading at or before ``when`` (NaN when none yet),
    ``threshold``, ``ratio`` (value / threshold), ``alarm``, ``lo``/``hi`` (the sensor's
    lowest and highest reading) and ``color`` (RGB)."""
    from .render.readings import thresholds  # the one rule for a sensor's threshold

    ids = sensors["id"].astype("string")
    frame = readings[["sensor_id", "time", "value"]].copy()
    frame["sensor_id"] = frame["sensor_id"].astype("string")
    frame["_t"] = _times(readings)
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    frame = frame.dropna(subset=["_t"])
    span = frame.groupby("sensor_id")["value"].agg(["min", "max"])
    upto = frame[frame["_t"] <= _when(when)].sort_values(["sensor_id", "_t"], kind="stable")
    last = upto.groupby("sensor_id").tail(1).set_index("sensor_id")
    out = pd.DataFrame({"sensor_id": ids.to_numpy()})
    for col in ("kind", "unit"):
        out[col] = sensors[col].astype("string").to_numpy() if col in sensors.columns else pd.NA
    out["time"] = out["sensor_id"].map(last["time"].astype("string")) if len(last) else pd.NA
    out["value"] = out["sensor_id"].map(last["value"]).astype(float) if len(last) else np.nan
    th = thresholds(sensors)
    out["threshold"] = th.to_numpy(dtype=float)
    out["ratio"] = out["value"] / out["threshold"]
    out["alarm"] = (out["value"] > out["threshold"]).fillna(False).astype(bool)
    out["lo"] = out["sensor_id"].map(span["min"]).astype(float)
    out["hi"] = out["sensor_id"].map(span["max"]).astype(float)
    out["color"] = sensor_colors(out)
    return out


def sensor_colors(state: pd.DataFrame) -> list[tuple[int, int, int]]:
    """The RGB colour of each row of :func:`readings_at` (see the module text)."""
    colors = []
    for value, th, lo, hi in zip(state["value"], state["threshold"], state["lo"], state["hi"]):
        if not np.isfinite(value):
            colors.append(NO_DATA_COLOR)
        elif np.isfinite(th) and th > 0:
            ratio = value / th
            colors.append(ALERT_COLOR if ratio > 1.0 else WARN_COLOR if ratio >= 0.8
                          else OK_COLOR)
        else:
            share = 0.5 if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo) \
                else float(np.clip((value - lo) / (hi - lo), 0.0, 1.0))
            colors.append(tuple(int(c) for c in np.round(_LOW + share * (_HIGH - _LOW))))
    return colors


def series_of(readings: pd.DataFrame, sensor_id: str) -> pd.DataFrame:
    """The readings of one sensor, oldest first: ``time`` (local timestamps) and ``value``."""
    rows = readings[readings["sensor_id"].astype("string") == str(sensor_id)]
    if not len(rows):
        raise TwinError(f"sensor {sensor_id!r} has no readings")
    out = pd.DataFrame({"time": _times(rows), "value": pd.to_numeric(rows["value"],
                                                                     errors="coerce")})
    tz = _tz(rows)
    if tz is not None:
        out["time"] = out["time"].dt.tz_convert(tz)
    return out.dropna(subset=["time"]).sort_values("time", kind="stable").reset_index(drop=True)


def alerts_over_time(readings: pd.DataFrame, sensors: pd.DataFrame, *,
                     freq: str = "h") -> pd.DataFrame:
    """How many sensors were above their threshold in each ``freq`` interval (a reading
    over the threshold in the interval counts), by sensor kind: a frame indexed by the
    interval start (local time) with one column per kind."""
    from .render.readings import thresholds

    th = thresholds(sensors)
    kinds = pd.Series(sensors["kind"].astype("string").to_numpy() if "kind" in sensors.columns
                      else ["sensor"] * len(sensors), index=sensors["id"].astype("string"))
    frame = pd.DataFrame({"sensor_id": readings["sensor_id"].astype("string"),
                          "time": _times(readings),
                          "value": pd.to_numeric(readings["value"], errors="coerce")})
    frame = frame.dropna(subset=["time"])
    tz = _tz(readings)
    if tz is not None:
        frame["time"] = frame["time"].dt.tz_convert(tz)
    frame["over"] = frame["value"] > frame["sensor_id"].map(th).astype(float)
    frame["kind"] = frame["sensor_id"].map(kinds).fillna("sensor")
    frame["bucket"] = frame["time"].dt.floor(freq)
    hit = frame[frame["over"]].drop_duplicates(["bucket", "sensor_id"])
    table = hit.groupby(["bucket", "kind"]).size().unstack("kind", fill_value=0)
    full = pd.date_range(frame["bucket"].min(), frame["bucket"].max(), freq=freq) \
        if len(frame) else pd.DatetimeIndex([])
    return table.reindex(full, fill_value=0).rename_axis("time")


def water_level_at(readings: pd.DataFrame, sensors: pd.DataFrame, sensor_id: str, when):
    """``(level_m, time)`` of water-level sensor ``sensor_id`` at ``when``: its latest reading
    at or before then, in metres on the height datum (the flood query's own conversion)."""
    from .query.flood import latest_reading

    upto = readings[_times(readings) <= _when(when)]
    return latest_reading(sensors, upto, sensor_id)
