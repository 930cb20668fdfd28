"""The outer tar of an image archive (docker-archive, OCI layout): read by name, write
deterministically.

Reading follows links between members (older `docker save` deduplicates layers as symlinks)
but never outside the archive. Writing gives every entry mtime 0, mode 0644/0755 and owner
0:0, so saving one image twice gives the same bytes.
"""

from __future__ import annotations

import io
import json
import posixpath
import tarfile
from typing import BinaryIO

from pallet.errors import UserError

MAX_LINKS = 40


def _norm(name: str) -> str:
    return posixpath.normpath("/" + name).lstrip("/")


class TarballReader:
    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.tar = tarfile.open(path, "r:*")
            self.members = {_norm(m.name): m for m in self.tar.getmembers()}
        except (tarfile.TarError, EOFError, OSError) as e:
            raise UserError(f'"{path}" is not a valid image archive: {e}', hint="pallet load reads what docker save or pallet save wrote") from None

    def has(self, name: str) -> bool:
        return _norm(name) in self.members

    def member(self, name: str) -> tarfile.TarInfo:
        m = self.members.get(_norm(name))
        for _ in range(MAX_LINKS):
            if m is None:
                raise UserError(f'image archive "{self.path}" has no file "{name}"', hint="the archive is incomplete or corrupt")
            if not (m.issym() or m.islnk()):
                return m
            target = m.linkname if m.islnk() else posixpath.join(posixpath.dirname(_norm(m.name)), m.linkname)
            m = self.members.get(_norm(target))
        raise UserError(f'image archive "{self.path}": link loop at "{name}"')

    def open(self, name: str) -> BinaryIO:
        f = self.tar.extractfile(self.member(name))
        if f is None:
            raise UserError(f'image archive "{self.path}": "{name}" is not a file')
        return f  # type: ignore[return-value]

    def read(self, name: str) -> bytes:
        with self.open(name) as f:
            return f.read()

    def read_json(self, name: str):
        try:
            return json.loads(self.read(name))
        except ValueError as e:
            raise UserError(f'image archive "{self.path}": "{name}" is not valid JSON: {e}') from None

    def close(self) -> None:
        self.tar.close()


class TarballWriter:
    def __init__(self, out: BinaryIO) -> None:
        self.tar = tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT)
        self._dirs: set[str] = set()

    def _parents(self, name: str) -> None:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self._dirs:
                self._dirs.add(d)
                info = tarfile.TarInfo(d)
                info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
                self.tar.addfile(info)

    def add(self, name: str, src: BinaryIO, size: int) -> None:
        self._parents(name)
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o644, 0
        self.tar.addfile(info, src)

    def add_bytes(self, name: str, data: bytes) -> None:
        self.add(name, io.BytesIO(data), len(data))

    def close(self) -> None:
        self.tar.close()
