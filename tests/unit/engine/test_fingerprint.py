"""Tree fingerprints, the digests they vouch for, and taking them ahead in a child."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from pallet.engine import fingerprint
from pallet.engine.fingerprint import TreeDigests, prefetching, tree_fingerprint, trees_file

OLD = 1_600_000_000


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for rel in ("ctx/src/a", "ctx/src/sub/b", "ctx/docs/c"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    for dirpath, dirs, files in os.walk(tmp_path / "ctx"):
        for name in dirs + files:
            os.utime(Path(dirpath) / name, (OLD, OLD))
    return tmp_path / "ctx"


def remember(stat_cache: Path, *dirs: Path) -> None:
    digests = TreeDigests(trees_file(stat_cache))
    for d in dirs:
        digests.put(json.dumps([str(d), "", [], []]), "fp", "digest")
    digests.save()


def test_fingerprint_sees_changes_below_but_not_reads(tree):
    before = tree_fingerprint(str(tree / "src"))
    assert before is not None and tree_fingerprint(str(tree / "src")) == before
    (tree / "src/sub/b").read_text()
    assert tree_fingerprint(str(tree / "src")) == before
    os.chmod(tree / "src/sub/b", 0o600)
    assert tree_fingerprint(str(tree / "src")) != before


def test_young_tree_has_no_fingerprint(tree):
    (tree / "src/new").write_text("n")
    assert tree_fingerprint(str(tree / "src")) is None
    assert tree_fingerprint(str(tree / "missing")) is None


def test_dirs_under_a_context(tree, tmp_path):
    remember(tmp_path / "sc.json", tree / "src", tree / "docs", tmp_path / "elsewhere", tree)
    dirs = TreeDigests(trees_file(tmp_path / "sc.json")).dirs_under(str(tree))
    assert dirs == [str(tree), str(tree / "docs"), str(tree / "src")]


def test_prefetched_fingerprints_come_from_a_child(tree, tmp_path, monkeypatch):
    remember(tmp_path / "sc.json", tree / "src")
    expected = tree_fingerprint(str(tree / "src"))
    walked = []
    monkeypatch.setattr(fingerprint, "_fingerprint", lambda host: walked.append(host))
    with prefetching(tmp_path / "sc.json", str(tree)):
        assert tree_fingerprint(str(tree / "src")) == expected  # from the child's walk
        assert walked == []
        tree_fingerprint(str(tree / "docs"))  # not remembered: walked here
        assert walked == [str(tree / "docs")]
    assert fingerprint._prefetched is None


def test_after_prefetching_nothing_stale_is_used(tree, tmp_path):
    remember(tmp_path / "sc.json", tree / "src")
    with prefetching(tmp_path / "sc.json", str(tree)):
        pass  # the build stopped before asking: the child is reaped
    before = tree_fingerprint(str(tree / "src"))
    os.chmod(tree / "src/a", 0o600)
    assert tree_fingerprint(str(tree / "src")) != before


def test_a_failed_child_means_walking_here(tree, tmp_path, monkeypatch):
    remember(tmp_path / "sc.json", tree / "src")
    expected = tree_fingerprint(str(tree / "src"))
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with prefetching(tmp_path / "sc.json", str(tree)):
        assert tree_fingerprint(str(tree / "src")) == expected


def test_damaged_tree_digests_are_ignored(tmp_path, tree):
    Path(trees_file(tmp_path / "sc.json")).write_text("{not json")
    assert TreeDigests(trees_file(tmp_path / "sc.json")).dirs_under(str(tree)) == []
    with prefetching(tmp_path / "sc.json", str(tree)):
        assert fingerprint._prefetched is None


def test_a_cache_is_saved_while_another_thread_adds_to_it(tmp_path):
    """Parallel stages share the stat cache: one saves while another records a file."""
    import threading

    from pallet.engine.fingerprint import save_json_cache

    entries = {str(i): [i] for i in range(20_000)}
    stop = threading.Event()

    def record():
        while not stop.is_set():
            for i in range(1000):
                entries[f"new{i}"] = [i]
            for i in range(1000):
                del entries[f"new{i}"]

    recorder = threading.Thread(target=record)
    recorder.start()
    try:
        for _ in range(20):
            save_json_cache(tmp_path / "cache.json", 1, entries)
    finally:
        stop.set()
        recorder.join()
    assert (tmp_path / "cache.json").read_text().startswith('{"version":1,"entries":{')
