"""The builder registry (builders.json), name rules, selection order and per-builder paths."""

from __future__ import annotations

import threading

import pytest

from pallet.builders import BuilderError, Registry, builder_root, selected_name
from pallet.builders.registry import RUNNING, STOPPED
from pallet.state.root import StateRoot


@pytest.fixture
def root(tmp_path) -> StateRoot:
    return StateRoot(tmp_path / "root")


def test_default_is_always_listed_last_and_current_at_first(root):
    reg = Registry(root)
    assert [b.name for b in reg.list()] == ["default"]
    reg.create("zeta", None, [])
    reg.create("alpha", "docker-container", ["linux/arm64"])
    assert [(b.name, b.driver) for b in reg.list()] == [
        ("alpha", "docker-container"), ("zeta", "local"), ("default", "local")]
    assert reg.current() == "default"
    assert reg.get("alpha").platforms == ["linux/arm64"]


def test_names_are_validated_and_case_insensitive(root):
    reg = Registry(root)
    assert reg.create("MyBuilder", None, []).name == "mybuilder"
    assert reg.get("MYBUILDER").name == "mybuilder"
    for bad, words in (("1x", "needs to start with a letter"), ("a b", "invalid name"),
                       ("default", "reserved name"), ("mybuilder", 'existing instance for "mybuilder"')):
        with pytest.raises(BuilderError, match=words):
            reg.create(bad, None, [])
    with pytest.raises(BuilderError, match='failed to find driver "kubernetes"'):
        reg.create("k", "kubernetes", [])


def test_generated_names_are_adjective_surname_and_unique(root):
    reg = Registry(root)
    names = {reg.create(None, None, []).name for _ in range(20)}
    assert len(names) == 20
    assert all(name.count("_") == 1 and name != "default" for name in names)


def test_use_rm_and_a_removed_current_falls_back_to_default(root):
    reg = Registry(root)
    reg.create("a", None, [], use=True)
    assert reg.current() == "a"
    reg.use("default")
    assert reg.current() == "default"
    reg.use("a")
    reg.remove("a")
    assert reg.current() == "default"
    with pytest.raises(BuilderError, match='no builder "a" found'):
        reg.use("a")
    with pytest.raises(BuilderError, match='no builder "a" found'):
        reg.remove("a")


def test_status_inactive_running_stopped(root):
    reg = Registry(root)
    assert reg.create("a", None, []).status == "inactive"
    reg.set_status("a", RUNNING)
    assert reg.get("a").status == RUNNING and reg.get("a").last_activity
    reg.set_status("a", STOPPED)
    assert reg.get("a").status == STOPPED
    reg.set_status("default", STOPPED)  # nothing to stop
    assert reg.get("default").status == RUNNING


def test_concurrent_creates_all_land(root):
    reg = Registry(root)
    threads = [threading.Thread(target=reg.create, args=(f"b{i}", None, [])) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reg.list()) == 9


def test_a_corrupt_registry_is_a_clear_error(root):
    root.path.mkdir(parents=True)
    root.builders_file.write_text("{not json")
    with pytest.raises(BuilderError, match="cannot read"):
        Registry(root).list()


def test_selection_order_flag_env_use_default(root):
    reg = Registry(root)
    reg.create("a", None, [])
    reg.create("b", None, [], use=True)
    assert selected_name("a", reg, {"BUILDX_BUILDER": "default"}) == "a"
    assert selected_name(None, reg, {"BUILDX_BUILDER": "default"}) == "default"
    assert selected_name(None, reg, {}) == "b"
    reg.use("default")
    assert selected_name(None, reg, {}) == "default"


def test_builder_root_binds_the_cache_and_checks_the_name(root, monkeypatch):
    monkeypatch.delenv("BUILDX_BUILDER", raising=False)
    Registry(root).create("a", None, [])
    a = builder_root("A", root=root, activity=True)
    assert a.builder == "a" and Registry(root).get("a").status == RUNNING
    base = root.path
    assert (a.snapshots_dir, a.cache_mounts_dir, a.cache_db_path) == (
        base / "builders/a/snapshots", base / "builders/a/cachemounts", base / "builders/a/cache.db")
    assert (a.content_dir, a.db_path, a.locks_dir) == (root.content_dir, root.db_path, root.locks_dir)
    d = builder_root(None, root=root)
    assert (d.snapshots_dir, d.cache_db_path) == (base / "snapshots", base / "metadata.db")
    with pytest.raises(BuilderError, match='no builder "x" found'):
        builder_root("x", root=root)


def test_builders_with_cache_lists_the_dirs_default_first(root):
    root.for_builder("b").ensure()
    root.for_builder("a").ensure()
    assert [r.builder for r in root.builders_with_cache()] == ["default", "a", "b"]
