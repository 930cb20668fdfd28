"""context_checksum: content, not metadata noise; StatCache: unchanged files are not re-read."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from pallet.engine import fingerprint
from pallet.engine.checksum import StatCache, context_checksum
from pallet.dockerfile.dockerignore import PatternMatcher
from pallet.errors import ContextError

OLD = 1_600_000_000  # an mtime old enough not to be "racily clean"


def make_ctx(root: Path) -> Path:
    for rel, text in {"src/a.py": "a", "src/b.py": "b", "src/sub/c.py": "c", "README": "r",
                      "build.log": "noise"}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.chmod(path, 0o644)
    os.symlink("a.py", root / "src/link")
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            os.utime(Path(dirpath) / name, (OLD, OLD), follow_symlinks=False)
    return root


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    return make_ctx(tmp_path / "ctx")


def checksum(ctx: Path, *sources: str, ignore=(), **kw) -> str:
    return context_checksum(ctx, sources or ("src",), PatternMatcher(list(ignore)), **kw)


SAME = [  # changes that must not change the checksum of `src`
    ("mtime", lambda c: os.utime(c / "src/a.py", (OLD + 5, OLD + 5))),
    ("owner", lambda c: os.chown(c / "src/a.py", 1234, 1234)),
    ("file outside the source", lambda c: (c / "README").write_text("changed")),
    ("ignored file", lambda c: (c / "src/debug.log").write_text("x")),
    ("rewritten with same bytes", lambda c: (c / "src/b.py").write_text("b")),
]
DIFFERENT = [  # changes that must change it
    ("content", lambda c: (c / "src/a.py").write_text("A")),
    ("mode", lambda c: os.chmod(c / "src/a.py", 0o755)),
    ("new file", lambda c: (c / "src/new.py").write_text("n")),
    ("removed file", lambda c: os.unlink(c / "src/sub/c.py")),
    ("renamed file", lambda c: os.rename(c / "src/b.py", c / "src/b2.py")),
    ("symlink target", lambda c: (os.unlink(c / "src/link"), os.symlink("b.py", c / "src/link"))),
    ("dir mode", lambda c: os.chmod(c / "src/sub", 0o700)),
    ("file becomes symlink", lambda c: (os.unlink(c / "src/b.py"), os.symlink("a.py", c / "src/b.py"))),
]


@pytest.mark.parametrize("change", [c[1] for c in SAME], ids=[c[0] for c in SAME])
def test_unchanged(ctx, change):
    before = checksum(ctx, ignore=["**/*.log"])
    change(ctx)
    assert checksum(ctx, ignore=["**/*.log"]) == before


@pytest.mark.parametrize("change", [c[1] for c in DIFFERENT], ids=[c[0] for c in DIFFERENT])
def test_changed(ctx, change):
    before = checksum(ctx)
    change(ctx)
    assert checksum(ctx) != before


def test_same_tree_elsewhere_same_checksum(ctx, tmp_path):
    other = tmp_path / "copy"
    shutil.copytree(ctx, other, symlinks=True)
    assert checksum(other, "src", "README") == checksum(ctx, "src", "README")


def test_selection_is_what_counts(ctx):
    whole = checksum(ctx, "src")
    assert checksum(ctx, "src", exclude=["sub"]) != whole
    assert checksum(ctx, "src", ignore=["src/sub"]) == checksum(ctx, "src", exclude=["sub"])
    assert checksum(ctx, "src/*.py") == checksum(ctx, "src/a.py", "src/b.py")
    assert checksum(ctx, "src/./sub") == checksum(ctx, "src/sub")
    assert checksum(ctx, "src/a.py") != checksum(ctx, "src/b.py")


def test_followed_symlink_hashes_the_target(ctx):
    os.unlink(ctx / "src/link")
    os.symlink("a.py", ctx / "src/link")
    before = checksum(ctx, "src/link")
    (ctx / "src/a.py").write_text("A")
    assert checksum(ctx, "src/link") != before


def test_missing_and_ignored_sources_raise_like_copy(ctx):
    with pytest.raises(ContextError, match='"/nope": not found'):
        checksum(ctx, "nope")
    with pytest.raises(ContextError, match='"/README": not found'):
        checksum(ctx, "README", ignore=["README"])
    with pytest.raises(ContextError, match="outside the build context"):
        checksum(ctx, "../x")


def test_urls_are_skipped(ctx):
    assert checksum(ctx, "src", "https://example.com/x") == checksum(ctx, "src")


def test_stat_cache_reuses_and_persists(ctx, tmp_path):
    path = tmp_path / "state/statcache.json"
    cold = StatCache(path)
    first = checksum(ctx, "src", stat_cache=cold)
    assert (cold.hashed, cold.reused) == (3, 0)
    warm = StatCache(path)
    assert checksum(ctx, "src", stat_cache=warm) == first
    assert (warm.hashed, warm.reused, warm.trees.reused) == (0, 0, 1)  # not even a file lookup
    os.utime(ctx / "src/a.py", (OLD + 9, OLD + 9))
    touched = StatCache(path)
    assert checksum(ctx, "src", stat_cache=touched) == first
    assert (touched.hashed, touched.reused, touched.trees.reused) == (1, 2, 0)


@pytest.fixture
def warm_cache(tmp_path, monkeypatch):
    """A persisted StatCache that trusts even stats from this instant, so the tree
    fingerprint itself (not the racy-clean guard) is what must notice a change."""
    monkeypatch.setattr(fingerprint, "RACY_NS", -10**18)
    return lambda: StatCache(tmp_path / "state/statcache.json")


@pytest.mark.parametrize("change", [c[1] for c in DIFFERENT], ids=[c[0] for c in DIFFERENT])
def test_changed_under_a_remembered_tree(ctx, warm_cache, change):
    before = checksum(ctx, stat_cache=warm_cache())
    assert checksum(ctx, stat_cache=(cache := warm_cache())) == before and cache.trees.reused
    change(ctx)
    assert checksum(ctx, stat_cache=warm_cache()) != before


@pytest.mark.parametrize("change", [c[1] for c in SAME], ids=[c[0] for c in SAME])
def test_unchanged_with_a_warm_stat_cache(ctx, warm_cache, change):
    """test_unchanged through the stat cache (whose tree digests are reused only when the
    change is outside the copied tree: test_changed_under_a_remembered_tree tests them)."""
    before = checksum(ctx, ignore=["**/*.log"], stat_cache=warm_cache())
    change(ctx)
    assert checksum(ctx, ignore=["**/*.log"], stat_cache=warm_cache()) == before


def test_remembered_tree_is_per_selection(ctx, warm_cache):
    whole = checksum(ctx, "src", stat_cache=warm_cache())
    assert checksum(ctx, "src", ignore=["src/sub"], stat_cache=warm_cache()) != whole
    assert checksum(ctx, "src", exclude=["sub"], stat_cache=warm_cache()) != whole
    assert checksum(ctx, "src", stat_cache=warm_cache()) == whole


def test_young_tree_is_not_remembered(ctx, tmp_path):
    (ctx / "src/sub/fresh.py").write_text("f")
    checksum(ctx, "src", stat_cache=StatCache(tmp_path / "c.json"))
    again = StatCache(tmp_path / "c.json")
    checksum(ctx, "src", stat_cache=again)
    assert again.trees.reused == 0


def test_stat_cache_sees_same_size_rewrite(ctx, tmp_path):
    cache = StatCache(tmp_path / "c.json")
    before = checksum(ctx, "src", stat_cache=cache)
    (ctx / "src/a.py").write_text("Z")  # same size; mtime is now, ctime changes
    os.utime(ctx / "src/a.py", (OLD, OLD))  # even with the old mtime put back
    assert checksum(ctx, "src", stat_cache=StatCache(tmp_path / "c.json")) != before


def test_young_files_are_not_remembered(ctx, tmp_path):
    (ctx / "src/fresh.py").write_text("f")
    cache = StatCache(tmp_path / "c.json")
    checksum(ctx, "src", stat_cache=cache)
    entries = json.loads((tmp_path / "c.json").read_text())["entries"]
    assert str(ctx / "src/a.py") in entries and str(ctx / "src/fresh.py") not in entries


@pytest.mark.parametrize("content", ["", "not json", '{"version": 99, "entries": {"x": 1}}'])
def test_damaged_stat_cache_is_ignored(ctx, tmp_path, content):
    path = tmp_path / "c.json"
    path.write_text(content)
    cache = StatCache(path)
    assert checksum(ctx, "src", stat_cache=cache) == checksum(ctx, "src")
    assert cache.hashed == 3
