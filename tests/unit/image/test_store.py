import pytest

from pallet.errors import NotFoundError
from pallet.image.descriptor import OCI_MANIFEST, Descriptor
from pallet.image.store import ImageStore
from pallet.state.db import connect

M1 = Descriptor(OCI_MANIFEST, "sha256:" + "1" * 64, 100)
M2 = Descriptor(OCI_MANIFEST, "sha256:" + "2" * 64, 200)
ID1, ID2 = "sha256:" + "a" * 64, "sha256:" + "b" * 64


@pytest.fixture
def store(tmp_path):
    return ImageStore(connect(tmp_path / "m.db"))


def test_put_get_list(store):
    store.put("docker.io/library/a:latest", M1, ID1, 10, now=100)
    store.put("docker.io/library/b:latest", M2, ID2, 20, now=200)
    assert store.get("docker.io/library/a:latest").target == M1
    assert [r.name for r in store.list()] == ["docker.io/library/b:latest", "docker.io/library/a:latest"]


def test_retag_same_target_keeps_created(store):
    store.put("n:1", M1, ID1, 10, now=100)
    again = store.put("n:1", M1, ID1, 10, now=500)
    assert (again.created, again.updated) == (100, 500)
    moved = store.put("n:1", M2, ID2, 10, now=600)
    assert moved.created == 600


def test_lookup_by_id_and_target(store):
    store.put("x:1", M1, ID1, 10)
    store.put("x:2", M1, ID1, 10)
    assert [r.name for r in store.by_image_id("aaaa")] == ["x:1", "x:2"]
    assert [r.name for r in store.by_target(M1.digest)] == ["x:1", "x:2"]
    assert store.by_image_id("bbbb") == []


def test_delete(store):
    store.put("x:1", M1, ID1, 10)
    assert store.delete("x:1").target == M1
    with pytest.raises(NotFoundError, match="No such image: x:1"):
        store.get("x:1")
    with pytest.raises(NotFoundError):
        store.delete("x:1")
