"""Content digests: `sha256:<64 hex>` strings, parsed, checked and computed.

Only sha256 is produced, as BuildKit and containerd do; other algorithms are rejected when
read (OCI image-spec descriptor.md lists sha256 as the one every implementation must have).
"""

from __future__ import annotations

import hashlib
import os
import re

from pallet.errors import UserError

SHA256 = "sha256"
_DIGEST_RE = re.compile(r"^sha256:[a-f0-9]{64}$")


def sha256_digest(data: bytes) -> str:
    return f"{SHA256}:{hashlib.sha256(data).hexdigest()}"


def is_digest(value: str) -> bool:
    return bool(_DIGEST_RE.match(value))


def check_digest(value: str) -> str:
    """`value` if it is a sha256 digest; a UserError otherwise."""
    if not isinstance(value, str) or not is_digest(value):
        raise UserError(
            f'invalid digest "{value}"', hint="a digest is sha256: followed by 64 lower-case hex digits"
        )
    return value


def digest_hex(digest: str) -> str:
    return check_digest(digest).split(":", 1)[1]


def short_id(digest: str) -> str:
    """The 12 hex digits docker shows as IMAGE ID."""
    return digest_hex(digest)[:12]


class Hasher:
    """sha256 of everything passed to `update`, with the byte count."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self.size = 0

    def update(self, data: bytes) -> None:
        self._h.update(data)
        self.size += len(data)

    def digest(self) -> str:
        return f"{SHA256}:{self._h.hexdigest()}"


class HashingWriter:
    """A write-only file that hashes what passes through it on its way to `out` (or nowhere)."""

    def __init__(self, out=None) -> None:
        self.out = out
        self.hasher = Hasher()

    def write(self, data) -> int:
        data = bytes(data)
        self.hasher.update(data)
        if self.out is not None:
            self.out.write(data)
        return len(data)

    def flush(self) -> None:
        if self.out is not None:
            self.out.flush()

    def digest(self) -> str:
        return self.hasher.digest()

    @property
    def size(self) -> int:
        return self.hasher.size


class HashingReader:
    """A readable that hashes what is read through it; `verify()` once it is exhausted."""

    def __init__(self, src, expected: str | None = None) -> None:
        self.src = src
        self.expected = expected
        self.hasher = Hasher()

    def read(self, n: int = -1) -> bytes:
        data = self.src.read(n)
        self.hasher.update(data)
        return data

    def readinto(self, buf) -> int:
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def verify(self) -> str:
        from pallet.errors import CorruptBlobError

        while self.read(1 << 20):
            pass
        got = self.hasher.digest()
        if self.expected is not None and got != self.expected:
            raise CorruptBlobError(self.expected, got)
        return got


def file_sha256_hex(path: str | os.PathLike[str]) -> str:
    """The sha256 hex of a file's bytes, read in chunks."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
