"""TreeCopier: the local exporter's copy into dest (merge, modes, links, owner)."""

import os
import stat

from pallet.exporter.local import TreeCopier, _human


def make_tree(root):
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "server").write_text("server")
    os.chmod(root / "bin" / "server", 0o4755)
    (root / "bin" / "link").symlink_to("/etc/passwd")
    os.link(root / "bin" / "server", root / "bin" / "hard")
    (root / "data").write_text("d")
    os.chmod(root / "data", 0o600)
    os.utime(root / "data", (1_000_000, 1_000_000))
    os.mkfifo(root / "fifo")


def test_copy_keeps_modes_links_and_times(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    make_tree(src)
    dest.mkdir()
    size = TreeCopier(os.getuid(), os.getgid()).copy(str(src), str(dest))
    assert (dest / "bin" / "server").read_text() == "server"
    assert stat.S_IMODE(os.stat(dest / "bin" / "server").st_mode) == 0o4755
    assert os.readlink(dest / "bin" / "link") == "/etc/passwd"
    assert os.stat(dest / "bin" / "hard").st_ino == os.stat(dest / "bin" / "server").st_ino
    assert stat.S_IMODE(os.stat(dest / "data").st_mode) == 0o600
    assert os.stat(dest / "data").st_mtime == 1_000_000
    assert stat.S_ISFIFO(os.lstat(dest / "fifo").st_mode)
    assert os.stat(dest / "data").st_uid == os.getuid()
    assert size == len("server") + len("d")


def test_copy_merges_and_replaces_without_following_links(tmp_path):
    src, dest, outside = tmp_path / "src", tmp_path / "dest", tmp_path / "outside"
    make_tree(src)
    outside.mkdir()
    dest.mkdir()
    (dest / "keep").write_text("mine")
    (dest / "bin").symlink_to(outside)  # a directory in the export, a symlink in dest
    (dest / "data").mkdir()  # a file in the export, a directory in dest
    TreeCopier(os.getuid(), os.getgid()).copy(str(src), str(dest))
    assert (dest / "keep").read_text() == "mine"
    assert not (dest / "bin").is_symlink() and (dest / "bin" / "server").is_file()
    assert list(outside.iterdir()) == []
    assert (dest / "data").read_text() == "d"


def test_human_size():
    assert [_human(n) for n in (0, 14, 1000, 1_234_567)] == ["0B", "14B", "1kB", "1.235MB"]
