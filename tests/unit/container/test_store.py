"""ContainerStore: lookup by id, name or prefix; names are unique."""

import pytest

from pallet.container.errors import AmbiguousContainerError, NameConflictError, NoSuchContainerError
from pallet.container.record import EXITED, Container, ContainerSpec
from pallet.container.store import ContainerStore
from pallet.state.db import connect


@pytest.fixture
def store(tmp_path):
    return ContainerStore(connect(tmp_path / "db"))


def make(cid, name, created=1.0):
    return Container(cid, name, "busybox", "sha256:" + "0" * 64,
                     ContainerSpec(("sh",), env=("A=1",), volumes=(("/h", "/c", True),)), created)


def test_round_trip(store):
    c = make("ab" * 32, "web")
    store.add(c)
    assert store.get(c.id) == c


def test_find_by_name_id_and_prefix(store):
    store.add(make("ab" * 32, "web"))
    store.add(make("ac" * 32, "db"))
    assert store.find("web").id == "ab" * 32
    assert store.find("/web").id == "ab" * 32
    assert store.find("ab" * 32).name == "web"
    assert store.find("aca").name == "db"
    with pytest.raises(AmbiguousContainerError):
        store.find("a")
    with pytest.raises(NoSuchContainerError, match="No such container: nope"):
        store.find("nope")


def test_prefix_is_not_a_pattern(store):
    store.add(make("ab" * 32, "web"))
    with pytest.raises(NoSuchContainerError):
        store.find("a%")


def test_name_conflict_in_dockers_words(store):
    store.add(make("ab" * 32, "web"))
    with pytest.raises(NameConflictError) as e:
        store.add(make("cd" * 32, "web"))
    assert e.value.message == (
        f'Conflict. The container name "/web" is already in use by container "{"ab" * 32}". '
        "You have to remove (or rename) that container to be able to reuse that name.")
    assert e.value.exit_code == 125


def test_update_list_delete(store):
    store.add(make("ab" * 32, "old", created=1.0))
    store.add(make("cd" * 32, "new", created=2.0))
    store.update("ab" * 32, status=EXITED, exit_code=3)
    assert [c.name for c in store.list()] == ["new", "old"]
    assert store.get("ab" * 32).exit_code == 3
    store.delete("ab" * 32)
    assert store.get("ab" * 32) is None and store.names() == {"new"}
