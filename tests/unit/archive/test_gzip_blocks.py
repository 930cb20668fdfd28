import gzip
import io
import os
import random
import threading

import pytest
from isal import igzip_threaded

from pallet.archive.compression import GZIP_LEVEL
from pallet.archive.gzip_blocks import BLOCK, BlockGzip, GzipWriter

random.seed(7)
# Compressible and incompressible stretches, 3.3 blocks in all.
DATA = b"".join(os.urandom(random.randrange(1, 9000)) + b"layer " * random.randrange(1, 40000)
                for _ in range(30))[: int(3.3 * BLOCK)]


def feed(writer, sizes):
    pos = i = 0
    while pos < len(DATA):
        n = sizes[i % len(sizes)]
        writer.write(DATA[pos:pos + n])
        pos, i = pos + n, i + 1
    writer.close()


class Out(io.BytesIO):
    def close(self):  # the compressor must leave `out` open
        raise AssertionError("out closed")


@pytest.mark.parametrize("sizes", [[BLOCK], [1000, 70000, 3 * BLOCK, 5], [len(DATA)], [12345]])
def test_the_bytes_are_igzip_threadeds_for_any_writes(sizes):
    """The same bytes as isal's threaded writer (layer digests stay as they were)."""
    ours, theirs = Out(), io.BytesIO()
    feed(GzipWriter(ours, GZIP_LEVEL), sizes)
    feed(igzip_threaded.open(theirs, "wb", compresslevel=GZIP_LEVEL, threads=2), sizes)
    assert ours.getvalue() == theirs.getvalue()
    assert gzip.decompress(ours.getvalue()) == DATA


def test_blocks_are_used_in_place_and_each_is_released_once_by_a_yielding_thread():
    buffers = [bytearray(DATA[i:i + BLOCK]) for i in range(0, len(DATA), BLOCK)]
    released, nice = [], set()

    def done(i):
        def release():
            released.append(i)
            nice.add(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return release

    out = io.BytesIO()
    blocks = BlockGzip(out, GZIP_LEVEL)
    for i, buf in enumerate(buffers):
        blocks.add(memoryview(buf), done(i))
    blocks.close()
    assert sorted(released) == list(range(len(buffers)))
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert nice == {min(19, mine + 10)}  # the compressing threads leave the CPU to the producer
    assert gzip.decompress(out.getvalue()) == DATA


class FailingOut(io.BytesIO):
    def write(self, data):
        if self.tell() > 100:
            raise OSError(28, "No space left on device")
        return super().write(data)


def test_a_failing_write_is_raised_and_every_thread_ends():
    before = threading.active_count()
    writer = GzipWriter(FailingOut(), GZIP_LEVEL)
    with pytest.raises(OSError, match="No space left"):
        feed(writer, [BLOCK])
    assert threading.active_count() == before


def test_abort_stops_the_threads_without_a_trailer():
    before = threading.active_count()
    out = io.BytesIO()
    blocks = BlockGzip(out, GZIP_LEVEL)
    blocks.add(DATA[:BLOCK])
    blocks.abort()
    assert threading.active_count() == before
    with pytest.raises(EOFError):
        gzip.decompress(out.getvalue())
