import hashlib
import io
import os

import pytest

from pallet.archive.compression import Compression, compress_writer, decompress_reader
from pallet.content.memory import MemoryContentStore
from pallet.image.layers import write_layer

# Writes as a tar writer makes them: pieces of up to 1 MiB, the last one short.
PIECES = [os.urandom(1 << 20), os.urandom((1 << 20) - 700), b"tail" * 1000]
TAR = b"".join(PIECES)


def produce(out):
    for piece in PIECES:
        out.write(memoryview(bytearray(piece)))  # a buffer the caller may reuse at once
    return "result"


@pytest.mark.parametrize("kind", list(Compression))
def test_digests_and_bytes(kind):
    store = MemoryContentStore()
    layer, result = write_layer(store, produce, kind)
    assert result == "result"
    assert layer.diff_id == "sha256:" + hashlib.sha256(TAR).hexdigest()
    assert layer.diff_size == len(TAR)
    blob = store.blobs[layer.descriptor.digest]
    assert layer.descriptor.size == len(blob)
    assert decompress_reader(io.BytesIO(blob), kind).read() == TAR


def test_gzip_blob_is_the_compressor_on_the_same_writes():
    """The writes reach the compressor as they were made: its blocks, so the digest, stay."""
    direct = io.BytesIO()
    compressor = compress_writer(Compression.GZIP, direct)
    for piece in PIECES:
        compressor.write(piece)
    compressor.close()
    store = MemoryContentStore()
    layer, _ = write_layer(store, produce, Compression.GZIP)
    assert store.blobs[layer.descriptor.digest] == direct.getvalue()


class FailingStore(MemoryContentStore):
    def ingest(self, expected=None, size=None):
        ingest = super().ingest(expected, size)

        def write(data):
            raise OSError(28, "No space left on device")

        ingest.write = write
        return ingest


@pytest.mark.parametrize("kind", list(Compression))
def test_a_failing_store_fails_the_layer(kind):
    with pytest.raises(OSError, match="No space left"):
        write_layer(FailingStore(), produce, kind)


def test_a_failing_producer_fails_the_layer():
    def broken(out):
        out.write(b"x" * 100)
        raise ValueError("tree changed")

    with pytest.raises(ValueError, match="tree changed"):
        write_layer(MemoryContentStore(), broken, Compression.NONE)


@pytest.mark.parametrize("kind", list(Compression))
def test_a_tree_layer_is_write_layer_of_write_tree(tmp_path, kind):
    """The forked walk and in-place compression change nothing in the blob or diff_id."""
    from pallet.archive.tarwriter import write_tree
    from pallet.image.layers import write_tree_layer

    for i in range(12):
        (tmp_path / f"f{i}").write_bytes(os.urandom(i * 150_000) + b"text " * i * 20_000)
    fast_store, plain_store = MemoryContentStore(), MemoryContentStore()
    fast = write_tree_layer(fast_store, tmp_path, kind, epoch=0)
    plain, _ = write_layer(plain_store, lambda out: write_tree(tmp_path, out, epoch=0), kind)
    assert fast == plain
    assert fast_store.blobs == plain_store.blobs


@pytest.mark.parametrize("kind", list(Compression))
def test_a_failing_store_fails_a_tree_layer(tmp_path, kind):
    from pallet.image.layers import write_tree_layer

    (tmp_path / "big").write_bytes(os.urandom(9 << 20))  # over the fork threshold
    with pytest.raises(OSError, match="No space left"):
        write_tree_layer(FailingStore(), tmp_path, kind)


def test_a_small_tree_layer_is_written_without_a_fork(tmp_path, monkeypatch):
    from pallet.image.layers import write_tree_layer

    (tmp_path / "small").write_bytes(b"x" * 1000)
    monkeypatch.setattr(os, "fork", lambda: pytest.fail("forked for a small tree"))
    layer = write_tree_layer(MemoryContentStore(), tmp_path, Compression.GZIP)
    assert layer.diff_size == 10240  # one 10 KiB tar record


def test_a_tree_layer_is_written_here_when_no_process_can_be_forked(tmp_path, monkeypatch):
    import errno

    from pallet.archive.tarwriter import write_tree
    from pallet.image.layers import write_tree_layer

    (tmp_path / "big").write_bytes(os.urandom(9 << 20))
    before = sorted(os.listdir("/proc/self/fd"))

    def no_fork():
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    layer = write_tree_layer(MemoryContentStore(), tmp_path, Compression.GZIP)
    plain, _ = write_layer(MemoryContentStore(), lambda out: write_tree(tmp_path, out), Compression.GZIP)
    assert layer == plain
    assert sorted(os.listdir("/proc/self/fd")) == before
