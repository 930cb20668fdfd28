"""COPY of a context dir shares unchanged files between builds by hard link (filepool.py),
without changing what the image holds or its digest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pallet.cli.main import main
from pallet.testing.cli import busybox_root, make_context, step_statuses

OLD = 1_600_000_000  # old enough for the stat cache to trust (fingerprint.RACY_NS)
APP = "FROM busybox:local\nCOPY src /app/src\nRUN cat /app/src/f07 && ls /app/src | wc -l\n"


@pytest.fixture
def root(tmp_path, monkeypatch):
    return busybox_root(tmp_path, monkeypatch)


def build(capfd, ctx: Path, *flags: str) -> str:
    code = main(["build", "--progress=plain", *flags, str(ctx)])
    out, err = capfd.readouterr()
    assert code == 0, err
    return err


def context(path: Path, files: dict[str, str] | None = None) -> Path:
    """`files` (default: 20 small ones) under src/, old enough for the stat cache to trust."""
    files = files or {f"src/f{i:02d}": f"file {i}\n" for i in range(20)}
    ctx = make_context(path, files)
    for f in (ctx / "src").iterdir():
        os.utime(f, (OLD, OLD))
    return ctx


def links(root: Path) -> list[int]:
    """The link count of every pool file: 1 (the pool) + the snapshots that use it."""
    return sorted(os.stat(e.path).st_nlink for e in os.scandir(root / "files"))


def image_id(capfd, ctx: Path) -> str:
    build(capfd, ctx, "--iidfile", str(ctx / "iid"))
    return (ctx / "iid").read_text()


def test_edit_links_unchanged_files_and_gives_the_same_image(root, tmp_path, capfd, monkeypatch):
    ctx = context(tmp_path / "ctx")
    (ctx / "Dockerfile").write_text(APP)
    build(capfd, ctx)
    assert links(root) == [2] * 20  # the pool and the first COPY snapshot
    (ctx / "src/f07").write_text("edited\n")
    os.utime(ctx / "src/f07", (OLD + 1, OLD + 1))
    log = build(capfd, ctx)
    assert "edited" in log
    assert step_statuses(log)["[2/3] COPY src /app/src"] == "DONE"
    # 19 files linked into the second snapshot too; f07 has an entry per version
    assert links(root) == [2, 2] + [3] * 19
    edited_here = image_id(capfd, ctx)

    busybox_root(tmp_path / "fresh", monkeypatch)  # a root with an empty pool
    assert image_id(capfd, ctx) == edited_here


def test_identical_files_stay_separate_files(root, tmp_path, capfd):
    """Two context files with the same bytes and metadata share a pool name, but linking
    both would turn them into one inode (a hard link in the layer)."""
    ctx = context(tmp_path / "ctx", {"src/a": "same\n", "src/b": "same\n"})
    (ctx / "Dockerfile").write_text(
        "FROM busybox:local\nCOPY src /d\nRUN [ $(stat -c %i /d/a) != $(stat -c %i /d/b) ]\n")
    build(capfd, ctx)
    build(capfd, ctx, "--no-cache")


def test_copy_destinations_keep_their_semantics(root, tmp_path, capfd):
    """A new dir, an empty WORKDIR, a dir a lower layer deleted (opaque), and a non-empty
    dir the copy merges into (written through the mount)."""
    ctx = context(tmp_path / "ctx")
    (ctx / "Dockerfile").write_text("""FROM busybox:local
WORKDIR /app
COPY src .
RUN test -f /app/f01 && [ $(ls /app | wc -l) = 20 ]
RUN mkdir -p /data/old && touch /data/old/x
RUN rm -rf /data
COPY src /data
RUN test ! -e /data/old && [ $(ls /data | wc -l) = 20 ]
COPY src /etc/
RUN test -s /etc/passwd && test -f /etc/f19
COPY --chmod=600 src /private
RUN [ $(stat -c %a /private/f03) = 600 ] && [ $(stat -c %a /app/f03) = 644 ]
""")
    build(capfd, ctx)
    build(capfd, ctx, "--no-cache")  # again, now linking from the pool


def test_prune_removes_unused_pool_files(root, tmp_path, capfd):
    ctx = context(tmp_path / "ctx")
    (ctx / "Dockerfile").write_text(APP)
    build(capfd, ctx)
    assert links(root) == [2] * 20
    assert main(["builder", "prune", "-af"]) == 0
    assert links(root) == []


def test_exports_write_pooled_files_as_the_separate_files_they_are(root, tmp_path, capfd):
    """Two COPYs of one context dir share pool inodes; the image has two files, as in
    BuildKit. A hard link the Dockerfile makes stays one."""
    import tarfile

    ctx = context(tmp_path / "ctx")
    (ctx / "Dockerfile").write_text("FROM busybox:local\nCOPY src /a\nCOPY src /b\n"
                                    "RUN ln /a/f01 /a/linked\n")
    build(capfd, ctx, "-o", f"type=local,dest={tmp_path / 'out'}")
    out = tmp_path / "out"
    assert os.stat(out / "b/f00").st_ino != os.stat(out / "a/f00").st_ino
    assert os.stat(out / "a/f00").st_nlink == 1
    assert os.stat(out / "a/linked").st_ino == os.stat(out / "a/f01").st_ino
    build(capfd, ctx, "-o", f"type=tar,dest={tmp_path / 'out.tar'}")
    with tarfile.open(tmp_path / "out.tar") as tar:
        members = {m.name: m for m in tar}
    assert members["b/f00"].isfile() and members["b/f00"].size == len("file 0\n")
    assert members["a/linked"].islnk() and members["a/linked"].linkname == "a/f01"
