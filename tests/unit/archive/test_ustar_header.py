"""ustar_header must produce exactly the bytes tarfile writes, or defer to it."""

import tarfile

import pytest

from pallet.archive.tarwriter import ustar_header


def info(name="etc/passwd", type=tarfile.REGTYPE, **fields):
    ti = tarfile.TarInfo(name)
    ti.type = type
    ti.uname = ti.gname = ""
    for key, value in fields.items():
        setattr(ti, key, value)
    return ti


SAME = {
    "file": info(size=1234, mode=0o644, mtime=1700000000),
    "empty file": info(size=0, mode=0o600),
    "setuid": info(mode=0o4755, size=10),
    "dir gets slash": info("usr/lib", tarfile.DIRTYPE, mode=0o755),
    "dir with slash": info("usr/lib/", tarfile.DIRTYPE, mode=0o755),
    "symlink": info("bin/sh", tarfile.SYMTYPE, linkname="/bin/busybox", mode=0o777),
    "hardlink": info("bin/b", tarfile.LNKTYPE, linkname="bin/a"),
    "char device": info("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666),
    "whiteout": info("etc/.wh.group", mode=0),
    "fifo": info("run/f", tarfile.FIFOTYPE, mode=0o644),
    "owners": info(uid=65534, gid=65534, size=1),
    "max ustar uid": info(uid=8**7 - 1, gid=8**7 - 1),
    "100-byte name": info("a" * 100),
    "100-byte link": info("l", tarfile.SYMTYPE, linkname="b" * 100),
    "big file": info(size=8**11 - 1),
}
DEFERRED = {
    "101-byte name": info("a" * 101),
    "101-byte dir after slash": info("d" * 100, tarfile.DIRTYPE),
    "non-ascii": info("etc/caf\u00e9"),
    "surrogate": info("etc/\udcff"),
    "long link": info("l", tarfile.SYMTYPE, linkname="b" * 101),
    "big uid": info(uid=8**7),
    "huge file": info(size=8**11),
    "xattrs": info(pax_headers={"SCHILY.xattr.user.x": "1"}),
}


@pytest.mark.parametrize("ti", SAME.values(), ids=SAME.keys())
def test_same_bytes_as_tarfile(ti):
    assert ustar_header(ti) == ti.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


@pytest.mark.parametrize("ti", DEFERRED.values(), ids=DEFERRED.keys())
def test_defers_when_an_extended_record_is_needed(ti):
    assert ustar_header(ti) is None
