"""One contract, every content store (containerd core/content/testsuite)."""

import pytest

from pallet.content.base import copy_blob, read_blob, write_blob
from pallet.content.local import LocalContentStore
from pallet.content.memory import MemoryContentStore
from pallet.errors import CorruptBlobError, NotFoundError, StoreError
from pallet.image.digest import sha256_digest

DATA = b"hello, blobs\n"
DIGEST = sha256_digest(DATA)
OTHER = sha256_digest(b"something else")


@pytest.fixture(params=["memory", "local"])
def store(request, tmp_path):
    return MemoryContentStore() if request.param == "memory" else LocalContentStore(tmp_path / "content")


def test_write_then_read(store):
    info = write_blob(store, DATA)
    assert (info.digest, info.size) == (DIGEST, len(DATA))
    assert read_blob(store, DIGEST) == DATA
    assert store.blob_size(DIGEST) == len(DATA)
    assert list(store.list_blobs()) == [DIGEST]


def test_commit_is_idempotent(store):
    write_blob(store, DATA, DIGEST)
    write_blob(store, DATA, DIGEST)
    assert list(store.list_blobs()) == [DIGEST]


def test_wrong_digest_is_rejected_and_invisible(store):
    with pytest.raises(CorruptBlobError) as exc:
        write_blob(store, DATA, OTHER)
    assert (exc.value.expected, exc.value.got) == (OTHER, DIGEST)
    assert not store.has_blob(DIGEST) and not store.has_blob(OTHER)


def test_wrong_size_is_rejected(store):
    import io

    with pytest.raises(StoreError, match="size mismatch"):
        copy_blob(io.BytesIO(DATA), store, DIGEST, size=len(DATA) + 1)
    assert not store.has_blob(DIGEST)


def test_abort_leaves_nothing(store):
    with store.ingest() as w:
        w.write(DATA)
    assert list(store.list_blobs()) == []


def test_missing_blob(store):
    with pytest.raises(NotFoundError):
        store.open_blob(OTHER)
    with pytest.raises(NotFoundError):
        store.delete_blob(OTHER)
    assert not store.has_blob(OTHER)


def test_delete(store):
    write_blob(store, DATA)
    store.delete_blob(DIGEST)
    assert not store.has_blob(DIGEST)


def test_local_layout_and_tamper_detection(tmp_path):
    store = LocalContentStore(tmp_path)
    write_blob(store, DATA)
    path = tmp_path / "blobs" / "sha256" / DIGEST.split(":")[1]
    assert path.read_bytes() == DATA
    assert (tmp_path / "oci-layout").read_bytes() == b'{"imageLayoutVersion":"1.0.0"}'
    assert list((tmp_path / "ingest").iterdir()) == []
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(CorruptBlobError):
        read_blob(store, DIGEST)


def test_big_blob_in_uneven_pieces(store):
    """Past the local store's writeback marks (every 8 MiB) the bytes stay the same."""
    import os

    data = os.urandom(20 * 2**20 + 12345)
    with store.ingest() as w:
        for start in range(0, len(data), 777_777):
            w.write(data[start : start + 777_777])
        info = w.commit()
    assert (info.digest, info.size) == (sha256_digest(data), len(data))
    assert read_blob(store, info.digest) == data
