"""What every exporter receives: one ExportInput per platform, and the shared ExportContext."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExportInput:
    """One platform's solved target.

    `image` is the converter's ImageState (it makes the image config); `created` the
    config's creation time (RFC 3339); `platform` the `os/arch[/variant]` asked for, or
    "" when the build named none (the host's).
    """

    result: object  # pallet.solver.result.Result
    image: object  # pallet.engine.config.ImageState
    created: str
    platform: str = ""
    config_fields: dict = field(default_factory=dict, compare=False)  # extra top-level config keys (inline cache)


@dataclass
class ExportContext:
    """The worker (content store, snapshots, state root) and what the build options add."""

    worker: object
    progress: object
    labels: dict[str, str] = field(default_factory=dict)
    epoch: int | None = None
    _commits: dict = field(default_factory=dict)  # CommitOptions -> CommittedTarget

    @property
    def images(self):
        from pallet.image.local import LocalImages
        from pallet.image.store import ImageStore

        return LocalImages(self.worker.blobs, ImageStore(self.worker.db))
