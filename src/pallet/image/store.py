"""ImageStore: image names -> target descriptors, in the metadata database.

A name is a normalised reference (`docker.io/library/busybox:latest`). The target is a
manifest or index in the content store. Beside it the store keeps the image id (the config
digest, which docker shows as IMAGE ID) and the real time the name was set, so that listings
can say "2 minutes ago" while the config itself carries a deterministic `created`. Deleting a
name leaves the blobs in place: garbage collection owns them (containerd does the same).
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass

from pallet.errors import NotFoundError
from pallet.image.descriptor import Descriptor
from pallet.state.db import transaction

_COLUMNS = "name, media_type, digest, size, image_id, content_size, created, updated"


@dataclass(frozen=True)
class ImageRecord:
    name: str
    target: Descriptor
    image_id: str
    content_size: int
    created: float  # when the name was first given to this target (unix seconds)
    updated: float

    @classmethod
    def from_row(cls, row: tuple) -> ImageRecord:
        name, media_type, digest, size, image_id, content_size, created, updated = row
        return cls(name, Descriptor(media_type, digest, size), image_id, content_size, created, updated)


class ImageStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def put(self, name: str, target: Descriptor, image_id: str, content_size: int, *, now: float | None = None) -> ImageRecord:
        """Point `name` at `target`; keeps the creation time when the target is unchanged."""
        now = time.time() if now is None else now
        with transaction(self.db):
            old = self._get(name)
            created = old.created if old is not None and old.target.digest == target.digest else now
            self.db.execute(
                f"INSERT OR REPLACE INTO images ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (name, target.media_type, target.digest, target.size, image_id, content_size, created, now),
            )
        return ImageRecord(name, target, image_id, content_size, created, now)

    def _get(self, name: str) -> ImageRecord | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM images WHERE name = ?", (name,)).fetchone()
        return ImageRecord.from_row(row) if row else None

    def get(self, name: str) -> ImageRecord:
        record = self._get(name)
        if record is None:
            raise NotFoundError(f"No such image: {name}")
        return record

    def list(self) -> list[ImageRecord]:
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM images ORDER BY created DESC, name").fetchall()
        return [ImageRecord.from_row(r) for r in rows]

    def by_image_id(self, prefix: str) -> list[ImageRecord]:
        """Records whose image id is `sha256:<prefix>...` (prefix: hex digits)."""
        rows = self.db.execute(
            f"SELECT {_COLUMNS} FROM images WHERE substr(image_id, 8, ?) = ? ORDER BY name", (len(prefix), prefix)
        ).fetchall()
        return [ImageRecord.from_row(r) for r in rows]

    def by_target(self, digest: str) -> list[ImageRecord]:
        rows = self.db.execute(f"SELECT {_COLUMNS} FROM images WHERE digest = ? ORDER BY name", (digest,)).fetchall()
        return [ImageRecord.from_row(r) for r in rows]

    def delete(self, name: str) -> ImageRecord:
        with transaction(self.db):
            record = self.get(name)
            self.db.execute("DELETE FROM images WHERE name = ?", (name,))
        return record
