"""The json-file log: one entry per line, partial lines held, tail."""

import json
import re

from pallet.container.logfile import MAX_LINE, LogWriter, read_entries, rfc3339_nano


def test_lines_are_split_and_partials_held(tmp_path):
    log = LogWriter(tmp_path / "log")
    log.write("stdout", b"a\nb")
    log.write("stderr", b"err\n")
    log.write("stdout", b"c\nlast")
    log.close()
    entries = read_entries(tmp_path / "log")
    assert [(e.stream, e.text) for e in entries] == [
        ("stdout", "a\n"), ("stderr", "err\n"), ("stdout", "bc\n"), ("stdout", "last")]


def test_docker_json_file_shape(tmp_path):
    log = LogWriter(tmp_path / "log")
    log.write("stdout", b"hi\n")
    log.close()
    entry = json.loads((tmp_path / "log").read_text())
    assert set(entry) == {"log", "stream", "time"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", entry["time"])


def test_long_lines_are_cut(tmp_path):
    log = LogWriter(tmp_path / "log")
    log.write("stdout", b"x" * (MAX_LINE + 5) + b"\n")
    log.close()
    assert [len(e.text) for e in read_entries(tmp_path / "log")] == [MAX_LINE, 6]


def test_tail(tmp_path):
    log = LogWriter(tmp_path / "log")
    log.write("stdout", b"1\n2\n3\n")
    log.close()
    assert [e.text for e in read_entries(tmp_path / "log", tail=2)] == ["2\n", "3\n"]
    assert read_entries(tmp_path / "log", tail=0) == []
    assert read_entries(tmp_path / "missing") == []


def test_rfc3339_nano():
    assert rfc3339_nano(0.5) == "1970-01-01T00:00:00.500000000Z"
