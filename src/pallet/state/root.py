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
    <root>/builders.json                the builder instances (pallet.builders)
    <root>/builders/<name>/             a non-default builder's own build cache:
        cache.db  snapshots/  cachemounts/

A StateRoot is bound to one builder (`default` unless `for_builder`): images, blobs and
locks are the root's, shared by all builders (one image store per root, as docker has);
cache records, step snapshots and cache mounts are the builder's, so pruning or removing
one builder never touches another's cache. The default builder's cache is the root's own
(metadata.db, snapshots/, cachemounts/), as it was before builders existed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

ENV_ROOT = "PALLET_ROOT"
DEFAULT_BUILDER = "default"
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
    builder: str = DEFAULT_BUILDER

    @classmethod
    def default(cls) -> StateRoot:
        return cls(default_root_path())

    def for_builder(self, name: str) -> StateRoot:
        """The same root, with `name`'s build cache (pallet.builders validates the name)."""
        return replace(self, builder=name)

    @property
    def is_default_builder(self) -> bool:
        return self.builder == DEFAULT_BUILDER

    @property
    def builders_file(self) -> Path:
        return self.path / "builders.json"

    @property
    def builders_dir(self) -> Path:
        return self.path / "builders"

    @property
    def builder_dir(self) -> Path:
        """Where this builder's cache lives: the root itself for the default builder."""
        return self.path if self.is_default_builder else self.builders_dir / self.builder

    def builders_with_cache(self) -> list[StateRoot]:
        """This root bound to each builder that has a cache dir, the default one first."""
        names = sorted(p.name for p in _dirs(self.builders_dir))
        return [self.for_builder(DEFAULT_BUILDER), *(self.for_builder(n) for n in names)]

    @property
    def content_dir(self) -> Path:
        return self.path / "content"

    @property
    def db_path(self) -> Path:
        return self.path / "metadata.db"

    @property
    def cache_db_path(self) -> Path:
        """The builder's cache records (`cache` table); metadata.db for the default one."""
        return self.db_path if self.is_default_builder else self.builder_dir / "cache.db"

    @property
    def locks_dir(self) -> Path:
        return self.path / "locks"

    @property
    def snapshots_dir(self) -> Path:
        return self.builder_dir / "snapshots"

    @property
    def cache_mounts_dir(self) -> Path:
        """RUN --mount=type=cache directories, one per cache id."""
        return self.builder_dir / "cachemounts"

    @property
    def stat_cache_path(self) -> Path:
        """Context files' and dirs' digests by their stat fields (engine/checksum.py)."""
        return self.path / "statcache.json"

    @property
    def file_pool_dir(self) -> Path:
        """Files COPY wrote, shared by hard link between snapshots (snapshot/filepool.py)."""
        return self.builder_dir / "files"

    @property
    def tmp_dir(self) -> Path:
        return self.path / "tmp"

    def lock_path(self, name: str) -> Path:
        return self.locks_dir / f"{name}.lock"

    def ensure(self) -> StateRoot:
        """Create the directories (0700: the root holds every image's files)."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.builder_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for d in (self.content_dir, self.locks_dir, self.snapshots_dir, self.cache_mounts_dir,
                  self.tmp_dir):
            d.mkdir(mode=0o700, exist_ok=True)
        return self


def _dirs(path: Path) -> list[Path]:
    try:
        return [p for p in path.iterdir() if p.is_dir()]
    except OSError:
        return []
