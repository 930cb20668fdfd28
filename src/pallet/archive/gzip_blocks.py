"""gzip in independent 1 MiB blocks, compressed on worker threads and written in order.

This is pigz's scheme, and python-isal's igzip_threaded writer's to the byte: each block is
deflated with the previous block's last 32 KiB as its dictionary and ends with a sync
flush, so the stream is one ordinary gzip member and the bytes depend only on the blocks,
not on thread timing. Unlike igzip_threaded it takes a block without copying it and says
when it is done with it (a layer's tar arrives in shared memory slots that must go back),
and its threads yield to the thread or process producing the blocks (see `_yield_cpu`).

isal's `_ParallelCompress` does one block (deflate and crc32, outside the GIL); it is the
class igzip_threaded uses, and isal is pinned, so its bytes cannot change under us.
"""

from __future__ import annotations

import io
import os
import queue
import struct
import threading
from collections.abc import Callable
from typing import BinaryIO

BLOCK = 1 << 20
_WINDOW = 1 << 15  # deflate's dictionary: the last 32 KiB before a block
_THREADS = 2
# No name, mtime 0; XFL 0xff and OS 0 as igzip_threaded writes them (it swaps the two
# fields), so that layers keep the digests they had.
_HEADER = bytes.fromhex("1f8b080000000000ff00")


class BlockGzip:
    """`add()` blocks (each at most BLOCK bytes, all but the last exactly BLOCK for the
    bytes to match igzip_threaded's), then `close()` to write the trailer."""

    def __init__(self, out: BinaryIO, level: int) -> None:
        from isal import isal_zlib  # type: ignore[import-not-found]

        self._zlib = isal_zlib
        self._out = out
        self._level = level
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._done: dict[int, tuple[bytes, int, int] | None] = {}  # by block index
        self._ready = threading.Condition()
        self._error: BaseException | None = None
        self._count = 0  # blocks added
        self._previous: bytes = b""  # the last 32 KiB of the last block added
        self._crc = self._size = 0
        out.write(_HEADER)
        self._threads = [threading.Thread(target=self._compress, name="gzip-block", daemon=True)
                         for _ in range(_THREADS)]
        self._threads.append(threading.Thread(target=self._write, name="gzip-writer", daemon=True))
        for t in self._threads:
            t.start()

    def add(self, block, done: Callable[[], None] | None = None) -> None:
        """Compress `block`; it must stay unchanged until `done()` is called (from a worker
        thread, once the block is compressed)."""
        if self._error is not None:
            raise self._error
        self._jobs.put((self._count, block, self._previous, done))
        self._previous = bytes(memoryview(block)[-_WINDOW:])
        self._count += 1

    def close(self) -> None:
        """Wait for every block, then write the end of the stream (the caller closes `out`)."""
        self._finish()
        if self._error is not None:
            raise self._error
        self._out.write(self._zlib.compress(b"", wbits=-15))  # the final empty deflate block
        self._out.write(struct.pack("<II", self._crc, self._size & 0xFFFFFFFF))

    def abort(self) -> None:
        """Stop the threads; the stream stays unfinished."""
        self._error = self._error or RuntimeError("gzip stream aborted")
        self._finish()

    def _finish(self) -> None:
        for _ in range(_THREADS):
            self._jobs.put(None)
        with self._ready:
            self._done[self._count] = None  # after the last block: the writer stops there
            self._ready.notify_all()
        for t in self._threads:
            t.join()

    def _compress(self) -> None:
        _yield_cpu()
        compressor = self._zlib._ParallelCompress(buffersize=BLOCK + BLOCK // 8, level=self._level)
        while (job := self._jobs.get()) is not None:
            index, block, zdict, done = job
            try:
                result = (*compressor.compress_and_crc(block, zdict), len(block)) if self._error is None else None
            except BaseException as e:
                self._error, result = e, None
            if done is not None:
                done()
            with self._ready:
                self._done[index] = result
                self._ready.notify_all()

    def _write(self) -> None:
        _yield_cpu()
        index = 0
        while True:
            with self._ready:
                while index not in self._done:
                    self._ready.wait()
                item = self._done.pop(index)
            if item is None:
                return  # the end, or a block dropped after an error: nothing more is written
            compressed, crc, size = item
            try:
                if self._error is None:
                    self._crc = self._zlib.crc32_combine(self._crc, crc, size)
                    self._size += size
                    self._out.write(compressed)
            except BaseException as e:
                self._error = e
            index += 1


def _yield_cpu() -> None:
    """Run this worker thread at a lower priority (10 more nice, Linux's per-thread nice).

    The producer of the blocks (a tar walk) is the one stage that cannot be split; when it
    waits for a core behind the compressors, they soon wait for it (a 300 MB layer on 2
    cores: 720 -> 700 ms). Raising one's own nice value needs no privilege."""
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + 10))
    except OSError:
        pass


class _BlockWriter(io.RawIOBase):
    """A raw stream over BlockGzip: each write becomes blocks of at most BLOCK bytes."""

    def __init__(self, gzip: BlockGzip) -> None:
        self._gzip = gzip

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data)
        for start in range(0, len(view), BLOCK):
            self._gzip.add(bytes(view[start:start + BLOCK]))  # a copy: the caller reuses `data`
        return len(view)


class GzipWriter(io.BufferedWriter):
    """A gzip writer for any pattern of writes: buffered into BLOCK-sized pieces, as
    igzip_threaded's writer buffers them, so the same writes give the same bytes."""

    def __init__(self, out: BinaryIO, level: int) -> None:
        self._gzip = BlockGzip(out, level)
        super().__init__(_BlockWriter(self._gzip), buffer_size=BLOCK)

    def close(self) -> None:
        if self.closed:
            return
        try:
            super().flush()
            self._gzip.close()
        except BaseException:
            self._gzip.abort()
            raise
        finally:
            super().close()
