"""A tree's tar written by a forked child process, its chunks read from shared memory.

Writing a layer's tar is Python and about five system calls per file, 40,000 files in a big
layer. In the building process that walk takes turns for the GIL with the threads hashing
and compressing the tar, and each of its system calls hands the lock over; in a child it
has an interpreter of its own.

The child fills 1 MiB slots of an anonymous shared mapping (the chunks TreeWriter makes)
and names each full one on a pipe; the parent hands a slot back on a second pipe once it is
done with it, so a chunk can be hashed and compressed where it lies. The bytes are those
write_tree writes. An error in the child is pickled back and raised in the parent; if the
parent stops first (an error, Ctrl-C), it kills the child.
"""

from __future__ import annotations

import functools
import gc
import mmap
import os
import pickle
import select
import signal
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

from pallet.archive.tarwriter import CHUNK, TreeWriter

_SLOTS = 64
_MESSAGE = struct.Struct("<iI")  # a slot number (or _DONE, _FAILED) and a byte count
_SLOT = struct.Struct("<i")
_DONE, _FAILED = -1, -2


class ForkFailed(Exception):
    """No child process could be made; write_tree in this process instead."""


class ForkedTree:
    """`with ForkedTree(root) as tree: for chunk, release in tree: ...`

    Each chunk is a memoryview of a slot, valid until `release()` is called (from any
    thread); the child stops when every slot is held, so release them as you go."""

    def __init__(self, root: Path | str, *, epoch: int | None = None, overlay: bool = False) -> None:
        self._args = (os.fspath(root), epoch, overlay)
        self._finished = False

    def __enter__(self) -> ForkedTree:
        self._shm = mmap.mmap(-1, _SLOTS * CHUNK)  # MAP_SHARED: the child's writes are seen here
        chunks_r, chunks_w = os.pipe()
        free_r, self._free_w = os.pipe()
        try:
            self._pid = os.fork()
        except OSError as e:  # EAGAIN: a process limit
            for fd in (chunks_r, chunks_w, free_r, self._free_w):
                os.close(fd)
            raise ForkFailed(f"cannot fork the tar writer: {e}") from e
        if self._pid == 0:
            _child(self._shm, chunks_w, free_r, *self._args)  # does not return
        os.close(chunks_w)
        os.close(free_r)
        self._messages = open(chunks_r, "rb")
        return self

    def __iter__(self) -> Iterator[tuple[memoryview, Callable[[], None]]]:
        view = memoryview(self._shm)
        while len(head := self._messages.read(_MESSAGE.size)) == _MESSAGE.size:
            slot, n = _MESSAGE.unpack(head)
            if slot == _DONE:
                self._finished = True
                return
            if slot == _FAILED:
                raise pickle.loads(self._messages.read(n))
            yield view[slot * CHUNK:slot * CHUNK + n], functools.partial(self._release, slot)

    def _release(self, slot: int) -> None:
        try:
            os.write(self._free_w, _SLOT.pack(slot))
        except BrokenPipeError:
            pass  # the child wrote its last chunk and is gone

    def __exit__(self, *exc) -> None:
        if not self._finished:
            os.kill(self._pid, signal.SIGKILL)  # not yet waited for: the pid is still the child's
        self._messages.close()
        os.close(self._free_w)
        _, status = os.waitpid(self._pid, 0)
        if not self._finished and exc[0] is None:
            raise RuntimeError("the tar writer process stopped without finishing "
                               f"(exit code {os.waitstatus_to_exitcode(status)})")


def _child(shm: mmap.mmap, chunks_w: int, free_r: int, root: str, epoch: int | None, overlay: bool):
    """Write the tar into the slots and exit; never returns into the parent's code."""
    code = 1
    try:
        # Objects of the parent's other threads live on here, unreachable; a cycle collection
        # could finalize one, closing an fd number this process has since reused.
        gc.disable()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        # Keep no other thread's pipe ends open: a reader waiting for their EOF would wait.
        os.closerange(3, min(chunks_w, free_r))
        os.closerange(max(chunks_w, free_r) + 1, os.sysconf("SC_OPEN_MAX"))
        os.closerange(min(chunks_w, free_r) + 1, max(chunks_w, free_r))
        TreeWriter(root, _SlotBuffers(shm, chunks_w, free_r), epoch=epoch, overlay=overlay).write()
        os.write(chunks_w, _MESSAGE.pack(_DONE, 0))
        code = 0
    except BaseException as e:
        try:
            payload = pickle.dumps(e)
        except Exception:
            payload = pickle.dumps(RuntimeError(f"{type(e).__name__}: {e}"))
        try:
            _write_all(chunks_w, _MESSAGE.pack(_FAILED, len(payload)) + payload)
        except OSError:
            pass  # the parent is gone
    finally:
        os._exit(code)  # no atexit handlers, no flushing of the parent's buffers


class _SlotBuffers:
    """TreeWriter's chunks in the shared slots; a full one is named on the pipe. A slot the
    parent gave back is used before one never used (its pages are mapped already), and
    once every slot is in the parent's hands, the next waits for one to come back."""

    def __init__(self, shm: mmap.mmap, chunks_w: int, free_r: int) -> None:
        self._view = memoryview(shm)
        self._chunks_w, self._free_r = chunks_w, free_r
        os.set_blocking(free_r, False)
        self._returned: list[int] = []
        self._unused = 0  # slots from here on were never used
        self._slot = -1  # the one being filled: TreeWriter fills one chunk at a time

    def take(self) -> memoryview:
        self._collect()
        while not self._returned and self._unused == _SLOTS:
            select.select([self._free_r], [], [])
            self._collect()
        if self._returned:
            self._slot = self._returned.pop()
        else:
            self._slot, self._unused = self._unused, self._unused + 1
        return self._view[self._slot * CHUNK:(self._slot + 1) * CHUNK]

    def _collect(self) -> None:
        try:
            returned = os.read(self._free_r, _SLOT.size * _SLOTS)
        except BlockingIOError:
            return
        if not returned:
            raise BrokenPipeError("the parent stopped reading")
        self._returned += [slot for (slot,) in _SLOT.iter_unpack(returned)]

    def send(self, view: memoryview, n: int) -> None:
        os.write(self._chunks_w, _MESSAGE.pack(self._slot, n))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
