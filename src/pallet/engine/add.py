"""What ADD does beyond COPY: local tar archives are extracted, URLs are downloaded.

Archives (solver/llbsolver/file/backend.go unpack + isArchivePath): a regular file is an
archive when, once decompressed (gzip, bzip2, xz or zstd, detected by content as moby
pkg/archive DetectCompression does), a first tar header can be read. It is extracted like
moby's chrootarchive.Untar into the dest dir: entries keep the tar's numeric owners and
modes, symlinks stay symlinks, parents with no entry are 0755 0:0 [golden 12]. Paths are
resolved inside the dest dir as in a chroot; an entry, symlink or hard link that climbs out
of it (`../x`) is refused, as moby's breakoutError does. `.wh.*` entries are skipped: in an
image layer they would mean deletions, which an ADD cannot ask for.

URLs (dockerfile2llb convert.go + source/http): the file is named after the URL path's
last element (`__unnamed__` without one), lands with mode 0600, and `--checksum` must match
the downloaded bytes.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import posixpath
import shutil
import stat
import tarfile
import urllib.parse
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pallet.archive.tarreader import set_entry_meta
from pallet.engine.paths import Root, escapes_root
from pallet.errors import UserError

_MAGIC = {  # moby pkg/archive DetectCompression
    b"\x1f\x8b\x08": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}
_DIGESTS = {"sha256": 64, "sha384": 96, "sha512": 128}
URL_FILE_MODE = 0o600  # source/http: what BuildKit writes a downloaded file with
_TIMEOUT = 60


# --- archives --------------------------------------------------------------------------------


def compression_of(head: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)


@contextmanager
def _decompressed(f: BinaryIO):
    kind = compression_of(f.read(6))
    f.seek(0)
    if kind is None:
        yield f
    elif kind == "gzip":
        with gzip.GzipFile(fileobj=f) as out:
            yield out
    elif kind == "bzip2":
        with bz2.BZ2File(f) as out:
            yield out
    elif kind == "xz":
        with lzma.LZMAFile(f) as out:
            yield out
    else:
        yield _zstd_reader(f)


def _zstd_reader(f: BinaryIO) -> BinaryIO:
    try:
        import zstandard
    except ImportError:
        raise UserError("cannot read a zstd archive: the zstandard package is missing",
                        hint="pip install zstandard") from None
    return zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True)


def is_archive(path: str) -> bool:
    """isArchivePath: a regular file whose (decompressed) bytes start with a tar header."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
        with open(path, "rb") as f, _decompressed(f) as data:
            with tarfile.open(fileobj=data, mode="r|") as tar:
                return tar.firstmember is not None
    except (tarfile.TarError, OSError, EOFError, lzma.LZMAError, ValueError):
        return False
    except Exception as e:  # zstandard.ZstdError has no common base with the others
        if type(e).__name__ == "ZstdError":
            return False
        raise


def extract_archive(archive: str, dest: str) -> None:
    """Untar `archive` into the existing dir `dest` (see the module docstring)."""
    name = ""
    dir_times: list[tuple[str, int]] = []
    try:
        with open(archive, "rb") as f, _decompressed(f) as data:
            with tarfile.open(fileobj=data, mode="r|", errors="surrogateescape") as tar:
                for info in tar:
                    name = info.name
                    _extract_entry(tar, info, Root(dest), dir_times)
    except (tarfile.TarError, EOFError, lzma.LZMAError, OSError) as e:
        raise UserError(f'failed to extract "{os.path.basename(archive)}" at "{name}": {e}',
                        hint="the archive is damaged or uses an entry type ADD cannot make") from e
    for host, mtime in reversed(dir_times):
        os.utime(host, (mtime, mtime))


def _extract_entry(tar: tarfile.TarFile, info: tarfile.TarInfo, root: Root, dir_times: list) -> None:
    if escapes_root(info.name.lstrip("/")):
        raise _breakout(f'"{info.name}" is outside of the destination')
    rel = posixpath.normpath("/" + info.name).strip("/")
    if rel and posixpath.basename(rel).startswith(".wh."):
        return
    if not rel:  # "./": moby applies its metadata to the dest dir
        if info.isdir():
            set_entry_meta(root.host, info, dir_times, as_root=os.geteuid() == 0)
        return
    parent = _make_parents(root, posixpath.dirname(rel))
    host = os.path.join(root.host_path(parent), posixpath.basename(rel))
    if os.path.lexists(host) and not (info.isdir() and os.path.isdir(host) and not os.path.islink(host)):
        _remove(host)
    _create(tar, info, root, host, posixpath.join(parent, posixpath.basename(rel)))
    if not info.islnk():
        set_entry_meta(host, info, dir_times, as_root=os.geteuid() == 0)


def _make_parents(root: Root, rel: str) -> str:
    """The parent dir resolved inside the root; missing ones made 0755 0:0 (moby Unpack)."""
    resolved = root.resolve(rel)
    parts = resolved.split("/") if resolved else []
    for k in range(1, len(parts) + 1):
        host = root.host_path("/".join(parts[:k]))
        if not os.path.lexists(host):
            os.mkdir(host, 0o755)
            os.chmod(host, 0o755)
            if os.geteuid() == 0:
                os.lchown(host, 0, 0)
    return resolved


def _create(tar: tarfile.TarFile, info: tarfile.TarInfo, root: Root, host: str, rel: str) -> None:
    if info.isdir():
        os.makedirs(host, exist_ok=True)
    elif info.isreg():
        with open(host, "xb") as out:
            shutil.copyfileobj(tar.extractfile(info), out)
    elif info.issym():
        if not info.linkname.startswith("/") and escapes_root(posixpath.join(posixpath.dirname(rel), info.linkname)):
            raise _breakout(f'invalid symlink "{info.name}" -> "{info.linkname}"')
        os.symlink(info.linkname, host)
    elif info.islnk():
        _hardlink(info, root, host)
    elif info.ischr() or info.isblk() or info.isfifo():
        kind = stat.S_IFIFO if info.isfifo() else stat.S_IFCHR if info.ischr() else stat.S_IFBLK
        os.mknod(host, kind | 0o600, os.makedev(info.devmajor, info.devminor))
    else:
        raise UserError(f'unsupported tar entry type {info.type!r} for "{info.name}"')


def _hardlink(info: tarfile.TarInfo, root: Root, host: str) -> None:
    if escapes_root(info.linkname.lstrip("/")):
        raise _breakout(f'invalid hardlink "{info.name}" -> "{info.linkname}"')
    link = posixpath.normpath("/" + info.linkname).strip("/")
    target = root.host_path(posixpath.join(root.resolve(posixpath.dirname(link)), posixpath.basename(link)))
    if not os.path.lexists(target) or os.path.isdir(target):
        raise _breakout(f'invalid hardlink "{info.name}" -> "{info.linkname}": no such entry')
    os.link(target, host, follow_symlinks=False)


def _remove(host: str) -> None:
    if os.path.isdir(host) and not os.path.islink(host):
        shutil.rmtree(host)
    else:
        os.unlink(host)


def _breakout(message: str) -> UserError:
    return UserError(message, hint="the archive has entries that leave the directory ADD extracts "
                                   "it into; ADD refuses such archives")


# --- URLs --------------------------------------------------------------------------------------


def url_file_name(url: str) -> str:
    """path.Base of the URL's path, or `__unnamed__` (dockerfile2llb convert.go)."""
    base = posixpath.basename(urllib.parse.unquote(urllib.parse.urlsplit(url).path).rstrip("/"))
    return base if base not in ("", ".", "/") else "__unnamed__"


def fetch_urls(urls: list[str], into: Path, *, checksum: str | None) -> list[str]:
    """Download each URL to `into/<k>/<name>` (mode 0600); the rel paths, in order."""
    expected = parse_checksum(checksum) if checksum else None
    rels = []
    for k, url in enumerate(urls):
        rel = f"{k}/{url_file_name(url)}"
        (into / str(k)).mkdir(parents=True)
        actual = download(url, into / rel, expected[0] if expected else "sha256")
        if expected and actual != f"{expected[0]}:{expected[1]}":
            raise UserError(f"digest mismatch {actual}: {checksum}",
                            hint=f'"{url}" did not give the bytes --checksum expects; check the URL or the checksum')
        os.chmod(into / rel, URL_FILE_MODE)
        rels.append(rel)
    return rels


def parse_checksum(text: str) -> tuple[str, str]:
    """`sha256:<hex>` (or sha384/sha512), as go-digest's Parse accepts it."""
    algo, _, hexpart = text.partition(":")
    size = _DIGESTS.get(algo)
    if size is None or len(hexpart) != size or any(c not in "0123456789abcdef" for c in hexpart):
        raise UserError(f'invalid checksum digest format: "{text}"',
                        hint='write --checksum=sha256:<64 lowercase hex digits>')
    return algo, hexpart


def download(url: str, out: Path, algo: str = "sha256") -> str:
    """GET `url` into `out`; the digest of the bytes as "<algo>:<hex>"."""
    hasher = hashlib.new(algo)
    with open(out, "wb") as f:
        for chunk in _chunks(url):
            hasher.update(chunk)
            f.write(chunk)
    return f"{algo}:{hasher.hexdigest()}"


def _chunks(url: str):
    try:
        import httpx
    except ImportError:
        yield from _chunks_urllib(url)
        return
    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=_TIMEOUT) as resp:
            _check_status(url, resp.status_code)
            yield from resp.iter_bytes()
    except httpx.HTTPError as e:
        raise _fetch_error(url, str(e)) from None


def _chunks_urllib(url: str):
    import urllib.error
    import urllib.request  # ~10 ms of imports (http.client, email, ssl)

    try:
        with urllib.request.urlopen(url, timeout=_TIMEOUT) as resp:
            while chunk := resp.read(1 << 20):
                yield chunk
    except urllib.error.HTTPError as e:
        _check_status(url, e.code)
    except (urllib.error.URLError, OSError) as e:
        raise _fetch_error(url, str(getattr(e, "reason", e))) from None


def _check_status(url: str, status: int) -> None:
    # source/http/httpsource.go: anything outside 2xx/3xx once redirects are followed
    if status < 200 or status >= 400:
        raise UserError(f"failed to load cache key: invalid response status {status}",
                        hint=f'ADD could not download "{url}"')


def _fetch_error(url: str, reason: str) -> UserError:
    return UserError(f'failed to load cache key: Get "{url}": {reason}',
                     hint="check the URL and that this machine can reach it")
