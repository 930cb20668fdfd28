"""MemoryContentStore: the content store contract in a dict, for unit tests."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import BinaryIO

from pallet.content.base import BlobInfo, check_commit
from pallet.errors import NotFoundError
from pallet.image.digest import Hasher, check_digest


class MemoryIngest:
    def __init__(self, store: MemoryContentStore, expected: str | None, size: int | None) -> None:
        self._store = store
        self._expected = expected
        self._size = size
        self._buf: io.BytesIO | None = io.BytesIO()
        self._hasher = Hasher()

    def write(self, data) -> int:
        assert self._buf is not None, "write after commit or abort"
        self._hasher.update(data)
        return self._buf.write(data)

    def commit(self) -> BlobInfo:
        assert self._buf is not None, "commit after commit or abort"
        data, self._buf = self._buf.getvalue(), None
        digest, size = self._hasher.digest(), self._hasher.size
        check_commit(digest, size, self._expected, self._size)
        self._store.blobs.setdefault(digest, data)
        return BlobInfo(digest, size)

    def abort(self) -> None:
        self._buf = None

    def __enter__(self) -> MemoryIngest:
        return self

    def __exit__(self, *exc) -> None:
        self.abort()


class MemoryContentStore:
    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def ingest(self, expected: str | None = None, size: int | None = None) -> MemoryIngest:
        return MemoryIngest(self, expected, size)

    def _get(self, digest: str) -> bytes:
        try:
            return self.blobs[check_digest(digest)]
        except KeyError:
            raise NotFoundError(f"blob {digest} not found in the content store") from None

    def open_blob(self, digest: str) -> BinaryIO:
        return io.BytesIO(self._get(digest))

    def blob_size(self, digest: str) -> int:
        return len(self._get(digest))

    def has_blob(self, digest: str) -> bool:
        return digest in self.blobs

    def delete_blob(self, digest: str) -> None:
        self._get(digest)
        del self.blobs[digest]

    def list_blobs(self) -> Iterator[str]:
        yield from sorted(self.blobs)
