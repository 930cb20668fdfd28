"""The state root: where pallet keeps blobs, snapshots and metadata.

Default `/var/lib/pallet` as root, `$XDG_DATA_HOME/pallet` (or `~/.local/share/pallet`)
otherwise; `PALLET_ROOT` overrides both. One class owns the layout, so no other module
builds paths into the root by hand (containerd's overlay.go `upperPath`/`workPath` habit).

    <root>/content/blobs/sha256/<hex>   content store (an OCI image layout)
    <root>/content/ingest/              blobs being written
    <root>/metadata.db                  SQLite, WAL: image names, cache records, ...
    <root>/locks/<name>.lock            fcntl locks shared by pallet processes
    <root>/snapshots/                   unpacked layers
    <root>/tmp/                         scratch on the same filesystem (renames stay atomic)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_ROOT = "PALLET_ROOT"
SYSTEM_ROOT = Path("/var/lib/pallet")


def default_root_path(environ: dict[str, str] | None = None, euid: int | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get(ENV_ROOT):
        return Path(env[ENV_ROOT]).absolute()
    if (os.geteuid() if euid is None else euid) == 0:
        return SYSTEM_ROOT
    data_home = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", "~")).expanduser() / ".local" / "share")
    return Path(data_home) / "pallet"


@dataclass(frozen=True)
class StateRoot:
    path: Path

    @classmethod
    def default(cls) -> StateRoot:
        return cls(default_root_path())

    @property
    def content_dir(self) -> Path:
        return self.path / "content"

    @property
    def db_path(self) -> Path:
        return self.path / "metadata.db"

    @property
    def locks_dir(self) -> Path:
        return self.path / "locks"

    @property
    def snapshots_dir(self) -> Path:
        return self.path / "snapshots"

    @property
    def cache_mounts_dir(self) -> Path:
        """RUN --mount=type=cache directories, one per cache id."""
        return self.path / "cachemounts"

    @property
    def tmp_dir(self) -> Path:
        return self.path / "tmp"

    def lock_path(self, name: str) -> Path:
        return self.locks_dir / f"{name}.lock"

    def ensure(self) -> StateRoot:
        """Create the directories (0700: the root holds every image's files)."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        for d in (self.content_dir, self.locks_dir, self.snapshots_dir, self.cache_mounts_dir,
                  self.tmp_dir):
            d.mkdir(mode=0o700, exist_ok=True)
        return self
