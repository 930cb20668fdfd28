"""What solving an op gives: the layers of a filesystem state (or a context directory)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Layer:
    """One layer: its committed snapshot and its blob in the content store."""

    snapshot: str  # snapshot name (a committed snapshot dir)
    diff_id: str  # sha256 of the uncompressed tar
    digest: str  # sha256 of the blob as stored (compressed)
    size: int
    media_type: str = "application/vnd.oci.image.layer.v1.tar+gzip"

    def to_json(self) -> dict:
        return {"snapshot": self.snapshot, "diff_id": self.diff_id, "digest": self.digest,
                "size": self.size, "media_type": self.media_type}


@dataclass(frozen=True, slots=True)
class Result:
    key: str  # the cache key it was solved (or found) under
    layers: tuple[Layer, ...] = ()
    context_path: str = ""  # for a ContextSource: the directory
    cached: bool = False
    extra: dict = field(default_factory=dict, compare=False)  # e.g. base image config

    @property
    def snapshots(self) -> list[str]:
        return [layer.snapshot for layer in self.layers]
