import io
import os

import pytest

from pallet.archive import forked_tar
from pallet.archive.forked_tar import ForkedTree
from pallet.archive.tarwriter import write_tree
from pallet.errors import UserError


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "tree"
    for i in range(30):
        d = root / f"d{i % 4}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i}").write_bytes(os.urandom(i * 70_000))  # 0 to 2 MiB: chunks wrap
    os.link(root / "d1" / "f1", root / "hard")
    os.symlink("d0/f0", root / "sym")
    return root


@pytest.fixture
def two_slots(monkeypatch):
    """Few slots, so the child waits for each to come back (the fork inherits the patch)."""
    monkeypatch.setattr(forked_tar, "_SLOTS", 2)


def forked_bytes(root, **kw):
    out = bytearray()
    with ForkedTree(root, **kw) as tree:
        for chunk, release in tree:
            out += chunk
            release()
    return bytes(out)


def in_process(root, **kw):
    out = io.BytesIO()
    write_tree(root, out, **kw)
    return out.getvalue()


def test_the_chunks_are_write_trees_bytes(tree, two_slots):
    data = forked_bytes(tree, epoch=0)
    assert len(data) > 2 * (1 << 20)
    assert data == in_process(tree, epoch=0)


def test_an_overlay_upper_dir(overlay_upper):
    assert forked_bytes(overlay_upper, overlay=True) == in_process(overlay_upper, overlay=True)


def open_fds():
    return sorted(os.listdir("/proc/self/fd"))


def test_an_error_in_the_child_is_raised_here_as_it_was(tmp_path):
    before = open_fds()
    with pytest.raises(UserError, match="not a directory") as caught:
        forked_bytes(tmp_path / "missing")
    assert caught.value.hint is None
    assert open_fds() == before


def test_stopping_early_kills_the_child_and_closes_everything(tree, two_slots):
    before = open_fds()
    with pytest.raises(KeyboardInterrupt):
        with ForkedTree(tree) as forked:
            for _chunk, _release in forked:
                pid = forked._pid
                raise KeyboardInterrupt  # the child now waits for a slot
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped
    assert open_fds() == before


def test_the_child_keeps_no_other_pipe_open(tree, two_slots):
    """A thread waiting for EOF on its own pipe must not wait for the tar walk."""
    read_end, write_end = os.pipe()
    try:
        with ForkedTree(tree) as forked:
            chunks = iter(forked)
            next(chunks)  # the child is running, holding both slots' worth of work
            os.close(write_end)
            os.set_blocking(read_end, False)
            assert os.read(read_end, 1) == b""  # EOF, not EAGAIN
            for _chunk, release in chunks:
                release()
    finally:
        os.close(read_end)


def test_a_child_that_dies_is_an_error(tree, two_slots):
    with pytest.raises(RuntimeError, match="stopped without finishing"):
        with ForkedTree(tree) as forked:
            os.kill(forked._pid, 9)
            for _chunk, release in forked:
                release()


def test_a_slot_given_back_is_used_before_an_unused_one(monkeypatch):
    """Its pages are mapped already; a fresh slot costs page faults (40 ms per 64 MiB here)."""
    import mmap

    monkeypatch.setattr(forked_tar, "_SLOTS", 3)
    chunks_r, chunks_w = os.pipe()
    free_r, free_w = os.pipe()
    try:
        buffers = forked_tar._SlotBuffers(mmap.mmap(-1, 3 << 20), chunks_w, free_r)
        taken = []
        for _ in range(4):
            view = buffers.take()
            taken.append(buffers._slot)
            buffers.send(view, 10)
            if len(taken) == 1:
                os.write(free_w, forked_tar._SLOT.pack(taken[0]))  # the parent is done with it
        assert taken == [0, 0, 1, 2]
    finally:
        for fd in (chunks_r, chunks_w, free_r, free_w):
            os.close(fd)
