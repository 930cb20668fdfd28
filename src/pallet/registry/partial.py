"""Partial downloads, kept by digest so that an interrupted pull resumes where it stopped.

A layer being pulled is appended to `<dir>/<hex>.partial` (dir: the content store's
`ingest/`), never to `blobs/`. When a connection drops, the next try — in this process or a
later `pallet pull` — asks the registry for `Range: bytes=<size on disk>-` and appends. Only
a complete file goes into the store, through the store's own verified ingest, so a corrupt
or truncated download can never become a blob; a file that fails verification is deleted,
since resuming it could only reproduce the same wrong bytes.

Two pallet processes pulling one layer take turns on an flock of the partial file
(containerd locks its ingest refs the same way), and the second then finds the blob stored.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from pallet.content.base import BlobInfo, BlobWriter, copy_blob
from pallet.errors import StoreError
from pallet.image.digest import digest_hex


class PartialBlob:
    def __init__(self, directory: Path, digest: str, size: int) -> None:
        self.digest = digest
        self.size = size
        self.path = Path(directory) / f"{digest_hex(digest)}.partial"
        self._file = None

    def __enter__(self) -> PartialBlob:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.path, "ab")
        fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)  # released on close, or if we die
        return self

    def __exit__(self, *exc) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def offset(self) -> int:
        """Bytes already on disk: where the next Range request starts."""
        self._file.flush()
        return os.fstat(self._file.fileno()).st_size

    def restart(self) -> None:
        """The registry ignored our Range: throw the partial away and start from byte 0."""
        self._file.truncate(0)
        self._file.seek(0)

    def write(self, data: bytes) -> None:
        if self.offset + len(data) > self.size:
            raise StoreError(f"blob {self.digest} is larger than the {self.size} bytes its descriptor says",
                             hint="the registry sent more data than the manifest promised")
        self._file.write(data)

    @property
    def complete(self) -> bool:
        return self.offset >= self.size

    def commit(self, blobs: BlobWriter) -> BlobInfo:
        """Copy into the store (verifying digest and size), then drop the partial file."""
        self._file.flush()
        try:
            with open(self.path, "rb") as src:
                info = copy_blob(src, blobs, self.digest, self.size)
        except StoreError:
            self.path.unlink(missing_ok=True)
            raise
        self.path.unlink(missing_ok=True)
        return info
