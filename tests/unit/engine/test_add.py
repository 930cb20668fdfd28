"""ADD: local archives extracted, plain files copied, URLs downloaded (BuildKit's rules)."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import http.server
import io
import json
import lzma
import os
import stat
import subprocess
import tarfile
import threading
from pathlib import Path

import pytest
import zstandard

from pallet.engine.add import compression_of, is_archive, url_file_name
from pallet.engine.copy import copy_into
from pallet.errors import UserError
from pallet.graph.ops import CopySpec
from pallet.testing.trees import tree_snapshot

PASSWD = "root:x:0:0:root:/root:/bin/sh\n"


def make_tar(entries: list[tuple]) -> bytes:
    """[(name, content | None for a dir, mode, (uid, gid), symlink/hardlink target)]"""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content, mode, (uid, gid), *link in entries:
            info = tarfile.TarInfo(name)
            info.mode, info.uid, info.gid, info.mtime = mode, uid, gid, 1_700_000_000
            if link and link[0].startswith("hard:"):
                info.type, info.linkname = tarfile.LNKTYPE, link[0][5:]
            elif link:
                info.type, info.linkname = tarfile.SYMTYPE, link[0]
            elif content is None:
                info.type = tarfile.DIRTYPE
            else:
                info.size = len(content)
            tar.addfile(info, io.BytesIO(content) if content else None)
    return out.getvalue()


SIMPLE = [("top", None, 0o750, (501, 20)), ("top/f.txt", b"hello\n", 0o640, (501, 20)),
          ("top/link", None, 0o777, (501, 20), "f.txt"), ("deep/er/g.txt", b"g\n", 0o600, (7, 7))]
COMPRESSORS = {
    "plain": lambda b: b,
    "gzip": lambda b: gzip.compress(b, mtime=0),
    "bzip2": bz2.compress,
    "xz": lzma.compress,
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
}


@pytest.fixture
def image(tmp_path: Path) -> Path:
    (tmp_path / "image/etc").mkdir(parents=True)
    (tmp_path / "image/etc/passwd").write_text(PASSWD)
    return tmp_path / "image"


def add(image: Path, ctx: Path | None, *sources: str, dest: str, **kw) -> None:
    spec = CopySpec(sources=tuple(sources), dest=dest, is_add=True, **kw)
    copy_into(image, spec, source_root=ctx, from_context=True)


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_archive_extracted_whatever_the_name(image, tmp_path, kind):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "release.bin").write_bytes(COMPRESSORS[kind](make_tar(SIMPLE)))
    assert compression_of((ctx / "release.bin").read_bytes()[:6]) == (None if kind == "plain" else kind)
    add(image, ctx, "release.bin", dest="/opt")
    snap = tree_snapshot(image)
    assert snap["opt"][1:4] == ("0755", 0, 0)
    assert snap["opt/top"] == ("dir", "0750", 501, 20, None)
    assert snap["opt/top/f.txt"] == ("file", "0640", 501, 20, "hello\n")
    assert snap["opt/top/link"][::4] == ("symlink", "f.txt")
    assert snap["opt/deep"][1:4] == ("0755", 0, 0)  # no entry in the tar
    assert snap["opt/deep/er/g.txt"] == ("file", "0600", 7, 7, "g\n")


def test_golden_12_add_local_targz(shared_dir, image, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "notes.txt").write_text("release notes\n")
    subprocess.run(["sh", "-eu", str(shared_dir / "buildkit-goldens/cases/12-add-local-targz/prepare.sh")],
                   cwd=ctx, check=True)
    (image / "usr").mkdir()
    add(image, ctx, "app-1.4.tar.gz", dest="/opt/")
    add(image, ctx, "app-1.4.tar.gz", dest=".", cwd="/usr/src")
    add(image, ctx, "notes.txt", dest="/opt/notes.txt")
    golden = json.loads((shared_dir / "buildkit-goldens/golden/12-add-local-targz.json").read_text())["files"]
    expected = {p: (e["type"], e.get("mode"), e["uid"], e["gid"], e.get("text", e.get("linkname")))
                for p, e in golden.items() if p.startswith(("opt", "usr/src"))}
    assert {p: v for p, v in tree_snapshot(image).items() if p.startswith(("opt", "usr/src"))} == expected


def test_unpack_false_copies_the_archive(image, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "a.tar").write_bytes(make_tar(SIMPLE))
    add(image, ctx, "a.tar", dest="/opt/", unpack=False)
    assert os.listdir(image / "opt") == ["a.tar"]


@pytest.mark.parametrize("content", [b"", b"just text\n", b"\x1f\x8b\x08not really gzip", b"\0" * 1024])
def test_non_archives_are_copied(image, tmp_path, content):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "x.tar.gz").write_bytes(content)
    assert not is_archive(str(ctx / "x.tar.gz"))
    add(image, ctx, "x.tar.gz", dest="/opt/")
    assert (image / "opt/x.tar.gz").read_bytes() == content


EVIL = [
    ([("../escape.txt", b"x", 0o644, (0, 0))], '"../escape.txt" is outside of the destination'),
    ([("a/../../escape.txt", b"x", 0o644, (0, 0))], "is outside of the destination"),
    ([("up", None, 0o777, (0, 0), "../../..")], 'invalid symlink "up" -> "../../.."'),
    ([("h", None, 0o644, (0, 0), "hard:../../etc/passwd")], 'invalid hardlink "h"'),
]


@pytest.mark.parametrize("entries,message", EVIL, ids=[e[0][0][0] for e in EVIL])
def test_archives_cannot_escape(image, tmp_path, entries, message):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "evil.tar").write_bytes(make_tar(entries))
    with pytest.raises(UserError, match=message):
        add(image, ctx, "evil.tar", dest="/opt/")
    assert not (tmp_path / "escape.txt").exists() and not (image / "escape.txt").exists()


def test_absolute_symlink_parent_stays_inside_dest(image, tmp_path):
    outside = tmp_path / "host"
    outside.mkdir()
    entries = [("etc", None, 0o777, (0, 0), str(outside)), ("etc/x.conf", b"x", 0o644, (0, 0))]
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "a.tar").write_bytes(make_tar(entries))
    add(image, ctx, "a.tar", dest="/opt/")
    assert list(outside.iterdir()) == []
    assert (image / "opt" / str(outside).lstrip("/") / "x.conf").read_text() == "x"


def test_whiteouts_and_hardlinks(image, tmp_path):
    make = [("d/a", b"A", 0o644, (0, 0)), ("d/b", None, 0o644, (0, 0), "hard:d/a"),
            ("d/.wh.gone", b"", 0o644, (0, 0))]
    (image / "opt/d").mkdir(parents=True)
    (image / "opt/d/gone").write_text("still here")
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "a.tar").write_bytes(make_tar(make))
    add(image, ctx, "a.tar", dest="/opt")
    assert sorted(os.listdir(image / "opt/d")) == ["a", "b", "gone"]
    assert os.stat(image / "opt/d/a").st_ino == os.stat(image / "opt/d/b").st_ino


# --- URLs ------------------------------------------------------------------------------------------

FILES = {"/dl/tool.tar.gz": gzip.compress(make_tar(SIMPLE), mtime=0), "/dl/readme": b"read me\n"}


@pytest.fixture(scope="module")
def server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = FILES.get(self.path.split("?")[0])
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


URL_DEST_CASES = [  # (path, dest, expected file)
    ("/dl/readme", "/opt/", "opt/readme"),
    ("/dl/readme", "/opt/notes.txt", "opt/notes.txt"),
    ("/dl/readme?x=1", "/opt/", "opt/readme"),
    ("/", "/opt/", "opt/__unnamed__"),
]


@pytest.mark.parametrize("path,dest,expected", URL_DEST_CASES, ids=[f"{c[0]}->{c[1]}" for c in URL_DEST_CASES])
def test_url_dest_and_mode(image, server, path, dest, expected):
    FILES["/"] = b"index\n"
    add(image, None, server + path, dest=dest)
    st = os.lstat(image / expected)
    assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o600, 0, 0)


def test_url_archive_is_not_extracted_unless_asked(image, server):
    add(image, None, server + "/dl/tool.tar.gz", dest="/a/")
    add(image, None, server + "/dl/tool.tar.gz", dest="/b/", unpack=True)
    assert os.listdir(image / "a") == ["tool.tar.gz"]
    assert sorted(os.listdir(image / "b")) == ["deep", "top"]


def test_url_checksum(image, server):
    good = "sha256:" + hashlib.sha256(FILES["/dl/readme"]).hexdigest()
    add(image, None, server + "/dl/readme", dest="/ok", checksum=good)
    assert (image / "ok").read_bytes() == FILES["/dl/readme"]
    bad = "sha256:" + "0" * 64
    with pytest.raises(UserError) as err:
        add(image, None, server + "/dl/readme", dest="/bad", checksum=bad)
    assert err.value.message == f"digest mismatch {good}: {bad}"
    assert not (image / "bad").exists()


@pytest.mark.parametrize("checksum", ["sha256:abc", "md5:" + "0" * 32, "0" * 64])
def test_url_checksum_format(image, server, checksum):
    with pytest.raises(UserError, match="invalid checksum digest format"):
        add(image, None, server + "/dl/readme", dest="/x", checksum=checksum)


def test_url_errors(image, server):
    with pytest.raises(UserError, match="failed to load cache key: invalid response status 404"):
        add(image, None, server + "/nope", dest="/x")
    with pytest.raises(UserError, match='failed to load cache key: Get "http://127.0.0.1:9/x"'):
        add(image, None, "http://127.0.0.1:9/x", dest="/x")


@pytest.mark.parametrize("url,name", [
    ("https://example.com/a/b.tar.gz", "b.tar.gz"), ("https://example.com/a/b/", "b"),
    ("https://example.com", "__unnamed__"), ("https://example.com/x%20y", "x y"),
])
def test_url_file_name(url, name):
    assert url_file_name(url) == name
