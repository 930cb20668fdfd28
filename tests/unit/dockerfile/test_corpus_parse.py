"""The real-world corpus (shared/corpus): every file parses or fails where BuildKit's parser does."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest

from pallet.dockerfile.nodes import Dockerfile
from pallet.dockerfile.parser import parse
from pallet.errors import ParseError

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus"
DOCKERFILES = CORPUS / "dockerfiles"

# file -> (message, line) for files BuildKit's parser rejects
REJECTED = {
    "moby__moby__builder__dockerfile__parser__testfiles__escape-nonewline__Dockerfile": (
        "invalid escape token '``' does not match ` or \\",
        1,
    ),
}


def _rows(name: str) -> list[dict[str, str]]:
    with open(CORPUS / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def _files() -> list[str]:
    return sorted(p.name for p in DOCKERFILES.iterdir()) if DOCKERFILES.is_dir() else []


FILES = _files()
FEATURES = {row["file"]: row for row in _rows("FEATURES.tsv")} if CORPUS.is_dir() else {}
UNUSUAL = sorted(r["file"] for r in _rows("SOURCES.tsv") if "UNUSUAL:" in r["notes"]) if CORPUS.is_dir() else []
_PARSED: dict[str, Dockerfile] = {}


def _parsed(name: str) -> Dockerfile:
    if name not in _PARSED:
        _PARSED[name] = parse((DOCKERFILES / name).read_bytes(), name)
    return _PARSED[name]


def test_corpus_is_there(shared_dir):
    assert len(FILES) == 202
    assert set(FILES) == set(FEATURES)


@pytest.mark.parametrize("name", FILES)
def test_parses_or_fails_like_buildkit(name):
    if name in REJECTED:
        message, line = REJECTED[name]
        with pytest.raises(ParseError) as info:
            parse((DOCKERFILES / name).read_bytes(), name)
        assert (info.value.message, info.value.line) == (message, line)
        return
    _check_invariants(_parsed(name), FEATURES[name])


def _check_invariants(df: Dockerfile, features: dict[str, str]) -> None:
    assert df.nodes
    previous_end = 0
    for node in df.nodes:
        assert previous_end < node.start_line <= node.end_line
        previous_end = node.end_line
        assert node.keyword == node.raw_keyword.lower()
        for heredoc in node.heredocs:
            assert heredoc.name
    total_lines = int(features["lines"])
    assert previous_end <= total_lines
    assert sum(len(n.heredocs) for n in df.nodes) == int(features["heredocs"])
    blank_in_continuations = int(features["blank_in_cont"])
    assert (len(df.warnings) > 0) == (blank_in_continuations > 0)
    assert len(df.warnings) <= blank_in_continuations
    if features["directives"]:
        for pair in features["directives"].split(","):
            key, _, value = pair.partition("=")
            assert getattr(df.directives, key.strip()) == value
    _check_text_facts(df, features)


def _check_text_facts(df: Dockerfile, features: dict[str, str]) -> None:
    text = df.source.text
    assert text.startswith("\ufeff") == (features["bom"] == "1")
    assert ("\r\n" in text) == (features["crlf"] == "1")
    for node in df.nodes:
        assert not node.original.endswith("\r")  # line endings never reach the AST


def test_every_unusual_file_has_an_explicit_check():
    assert set(UNUSUAL) <= set(UNUSUAL_CHECKS) | set(REJECTED)


def _nodes(name: str):
    return _parsed(name).nodes


def check_backslash_under_backtick_escape():
    nodes = _nodes("Eliasj42__arc-windows-runner__Dockerfile")
    assert _parsed("Eliasj42__arc-windows-runner__Dockerfile").escape == "`"
    by_line = {n.start_line: n for n in nodes}
    assert by_line[33].keyword == "run" and by_line[33].end_line == 33
    assert by_line[33].args[0].endswith("\\")
    assert (by_line[34].keyword, by_line[34].args) == ("tar", [""])
    assert (by_line[35].keyword, by_line[35].args) == ("rm", [""])


def check_merge_conflict_line():
    node = next(n for n in _nodes("wtondossantos__JaVisitei.Brasil.Nuget__Dockerfile") if n.start_line == 19)
    assert node.keyword == ">>>>>>>>>" and node.args == [""]


def check_only_args_no_from():
    nodes = _nodes("ralish__bash-script-template__Dockerfile")
    assert {n.keyword for n in nodes} == {"arg"}
    assert nodes[0].args == ['APP_NAME="bash-script-template"']


def check_windows_paths_merge_lines():
    nodes = _nodes("ChipWolf__trusted-uninstaller-cli__Dockerfile.windows")
    copy = next(n for n in nodes if n.start_line == 9)
    assert copy.keyword == "copy" and copy.end_line == 16
    assert "C:\\srcCOPY" in copy.args
    last = nodes[-1]
    assert last.keyword == "copy" and "C:\\appCMD" in last.args  # CMD swallowed too


def check_hash_lines_in_continuation_dropped():
    run = next(n for n in _nodes("DigitalSolutions-999__otclient__Dockerfile.windows") if n.start_line == 31)
    assert run.keyword == "run" and run.end_line == 53
    assert "Configurar CMake" not in run.original
    assert "#!/bin/bash" in run.original  # not at the start of a line: kept


def check_label_before_from_and_heredocs():
    nodes = _nodes("16levels__hercules__Containerfile")
    assert nodes[0].keyword == "label" and nodes[0].args[2] == ""  # legacy form
    assert nodes[1].keyword == "from"
    runs = [n for n in nodes if n.heredocs]
    assert len(runs) == 4 and all(n.args == ["<<EOF"] for n in runs)


def check_broken_json_cmd_is_shell_form():
    cmd = _nodes("01deEng1ish__docker-react__Dockerfile.dev")[-1]
    assert cmd.keyword == "cmd" and not cmd.json_form
    assert cmd.args == ['["npm", "run", "start]']


def check_rejected_escape():
    name = "moby__moby__builder__dockerfile__parser__testfiles__escape-nonewline__Dockerfile"
    with pytest.raises(ParseError, match="invalid escape token"):
        parse((DOCKERFILES / name).read_bytes())


UNUSUAL_CHECKS = {
    "Eliasj42__arc-windows-runner__Dockerfile": check_backslash_under_backtick_escape,
    "wtondossantos__JaVisitei.Brasil.Nuget__Dockerfile": check_merge_conflict_line,
    "ralish__bash-script-template__Dockerfile": check_only_args_no_from,
    "ChipWolf__trusted-uninstaller-cli__Dockerfile.windows": check_windows_paths_merge_lines,
    "DigitalSolutions-999__otclient__Dockerfile.windows": check_hash_lines_in_continuation_dropped,
    "16levels__hercules__Containerfile": check_label_before_from_and_heredocs,
    "01deEng1ish__docker-react__Dockerfile.dev": check_broken_json_cmd_is_shell_form,
    "moby__moby__builder__dockerfile__parser__testfiles__escape-nonewline__Dockerfile": check_rejected_escape,
}


@pytest.mark.parametrize("name", sorted(UNUSUAL_CHECKS))
def test_unusual(name):
    UNUSUAL_CHECKS[name]()


def test_whole_corpus_parses_fast():
    blobs = [(DOCKERFILES / name).read_bytes() for name in FILES]
    start = time.perf_counter()
    for blob in blobs:
        try:
            parse(blob)
        except ParseError:
            pass
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, f"202 files took {elapsed:.3f}s"  # measured ~20 ms
