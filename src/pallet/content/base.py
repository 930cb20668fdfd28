"""Content store roles: small Protocols, so code asks for the least it needs.

Vocabulary (containerd core/content/content.go): a *blob* is bytes addressed by their
*digest* (`sha256:<hex>`). Blobs are written through an *ingest*: bytes go in, are hashed as
they arrive, and `commit()` checks the size and digest the caller expected before the blob
becomes visible under its digest. Committing a blob that is already present is success, so
writers never need to check first. Readers verify small blobs (configs, manifests) on read;
big ones (layers) are verified by whoever streams them.

    with store.ingest(expected=desc.digest, size=desc.size) as w:
        w.write(chunk) ...
        info = w.commit()          # BlobInfo(digest, size); CorruptBlobError on mismatch
    data = read_blob(store, info.digest)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from pallet.errors import CorruptBlobError, StoreError
from pallet.image.digest import sha256_digest

CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class BlobInfo:
    digest: str
    size: int


class BlobIngest(Protocol):
    def write(self, data: bytes) -> int: ...
    def commit(self) -> BlobInfo: ...
    def abort(self) -> None: ...
    def __enter__(self) -> BlobIngest: ...
    def __exit__(self, *exc) -> None: ...


class BlobWriter(Protocol):
    def ingest(self, expected: str | None = None, size: int | None = None) -> BlobIngest: ...


class BlobReader(Protocol):
    def open_blob(self, digest: str) -> BinaryIO: ...
    def blob_size(self, digest: str) -> int: ...
    def has_blob(self, digest: str) -> bool: ...


class ContentStore(BlobReader, BlobWriter, Protocol):
    def delete_blob(self, digest: str) -> None: ...
    def list_blobs(self) -> Iterator[str]: ...


def check_commit(digest: str, size: int, expected: str | None, expected_size: int | None) -> None:
    """The verification every ingest does before a blob becomes visible."""
    if expected_size is not None and size != expected_size:
        raise StoreError(
            f"blob size mismatch for {expected or digest}: expected {expected_size} bytes, got {size}",
            hint="the source is truncated or corrupt",
        )
    if expected is not None and digest != expected:
        raise CorruptBlobError(expected, digest)


def write_blob(writer: ContentStore, data: bytes, expected: str | None = None) -> BlobInfo:
    """A small blob (config, manifest, index). One already there is not written again: a
    rebuild's are, and looking first saves the ingest's temp file, fsync and unlink
    (~2 ms a blob)."""
    digest = sha256_digest(data)
    check_commit(digest, len(data), expected, len(data))
    if writer.has_blob(digest):
        return BlobInfo(digest, len(data))
    with writer.ingest(expected, len(data)) as w:
        w.write(data)
        return w.commit()


def copy_blob(src: BinaryIO, writer: BlobWriter, expected: str | None = None, size: int | None = None) -> BlobInfo:
    with writer.ingest(expected, size) as w:
        shutil.copyfileobj(src, w, CHUNK)  # type: ignore[arg-type]
        return w.commit()


def read_blob(reader: BlobReader, digest: str) -> bytes:
    """The whole blob, verified against its digest (for configs, manifests, indexes)."""
    with reader.open_blob(digest) as f:
        data = f.read()
    got = sha256_digest(data)
    if got != digest:
        raise CorruptBlobError(digest, got)
    return data
