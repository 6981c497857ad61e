"""The CSV reader for sensor readings: small CSV files written in the test."""

from __future__ import annotations

import pytest

from twin.errors import ReaderError, SchemaError
from twin.importer import import_file, read_file
from twin.io import reader_for
from twin.io.table import CSVTableReader


def _csv(tmp_path, text, name="readings.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_readings_are_read_as_a_sensor_reading_table(tmp_path):
    path = _csv(tmp_path, "sensor_id,time,value\n"
                          "WL11,2026-07-13T00:00:00+08:00,3.25\n"
                          "WL11,2026-07-13T00:15:00+08:00,3.27\n"
                          "RG1,2026-07-13T00:00:00+08:00,0\n")
    assert isinstance(reader_for(path), CSVTableReader)
    result = read_file(path)
    (layer,) = result.layers
    assert (layer.name, layer.kind) == ("sensor_reading", "sensor_reading")
    frame = layer.data
    assert frame.sensor_id.tolist() == ["WL11", "WL11", "RG1"]
    assert frame.time.tolist()[1] == "2026-07-13T00:15:00+08:00"
    assert frame.value.tolist() == [3.25, 3.27, 0.0]
    assert str(frame.value.dtype) == "float64"
    assert result.report.counts == {"rows": 3, "sensors": 2}
    assert not result.report.warnings


def test_aliases_mapping_and_time_zones(tmp_path):
    path = _csv(tmp_path, "站点,timestamp,读数,备注\n"
                          "CAM1,2026-07-13 08:00,1,ok\n"
                          "CAM1,2026-07-13T00:15:00Z,0,offline\n")
    result = read_file(path, mapping={"站点": "sensor_id"})
    frame = result.layers[0].data
    # A time without an offset is China Standard Time; UTC input is shown in CST.
    assert frame.time.tolist() == ["2026-07-13T08:00:00+08:00", "2026-07-13T08:15:00+08:00"]
    assert frame["备注"].tolist() == ["ok", "offline"]
    assert result.report.mapping == {"站点": "sensor_id", "timestamp": "time", "读数": "value"}
    assert "UTC+08:00" in result.report.warnings[0]["reason"]


def test_gb18030_files_are_read(tmp_path):
    path = _csv(tmp_path, "sensor_id,time,value,名称\nGS1,2026-07-13T00:00:00+08:00,1.5,氢气\n",
                encoding="gb18030")
    result = read_file(path)
    assert result.layers[0].data["名称"].tolist() == ["氢气"]
    assert result.report.extra["encoding"] == "gb18030"


def test_bad_rows_raise_by_default_and_are_skipped_on_warn(tmp_path):
    path = _csv(tmp_path, "sensor_id,time,value\n"
                          "WL11,2026-07-13T00:00:00+08:00,3.2\n"
                          "WL11,not a time,3.3\n"
                          "WL11,2026-07-13T00:30:00+08:00,n/a\n")
    with pytest.raises(ReaderError, match=r"readings.csv: row 3: time 'not a time' does not "
                                          r"parse \(2 bad rows\)"):
        read_file(path)
    result = read_file(path, on_invalid="warn")
    assert len(result.layers[0].data) == 1
    assert [s["feature"] for s in result.report.skipped] == ["row 3", "row 4"]


def test_missing_columns_wrong_kind_and_empty_file(tmp_path):
    path = _csv(tmp_path, "station,when\nA,2026-07-13\n")
    with pytest.raises(SchemaError, match="no column for"):
        read_file(path)
    ok = _csv(tmp_path, "sensor_id,time,value\nA,2026-07-13T00:00:00+08:00,1\n", name="ok.csv")
    with pytest.raises(SchemaError, match="table layer"):
        read_file(ok, kind="parcel")
    with pytest.raises(ReaderError, match="empty"):
        read_file(_csv(tmp_path, "", name="empty.csv"))
    with pytest.raises(ReaderError, match="on_invalid"):
        read_file(ok, on_invalid="ignore")


def test_import_writes_the_table_and_a_second_import_is_a_new_version(tmp_path, store):
    path = _csv(tmp_path, "sensor_id,time,value\nA,2026-07-13T00:00:00+08:00,1\n")
    assert import_file(store, path)[0] == {"sensor_reading": 1}
    path2 = _csv(tmp_path, "sensor_id,time,value\nA,2026-07-13T00:00:00+08:00,1\n"
                           "B,2026-07-13T00:00:00+08:00,2\n", name="more.csv")
    versions, report = import_file(store, path2, layer="readings_b")
    assert versions == {"readings_b": 1}
    assert store.read("readings_b").sensor_id.tolist() == ["A", "B"]
    assert store.kind_of("readings_b") == "sensor_reading"


def test_column_names_match_like_the_vector_readers(tmp_path):
    # case, spaces and separators do not matter, as for GeoJSON attributes
    path = _csv(tmp_path, "Sensor ID,Time,VALUE\nWL11,2026-07-13T00:00:00+08:00,3.25\n")
    frame = read_file(path).layers[0].data
    assert frame.sensor_id.tolist() == ["WL11"] and frame.value.tolist() == [3.25]
