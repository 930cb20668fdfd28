"""What the state root holds, and what keeps it: the inventory behind `builder du/prune`
and `system df/check`.

Build cache, as `du` lists it, is made of:

    cache records      key -> layers (metadata.db `cache`); a record owns its top snapshot
    snapshots          committed layers (`sha256-*` from steps, `chain-*` unpacked bases)
    cache mounts       RUN --mount=type=cache dirs (engine/cachemounts.py)
    blobs              layer blobs no tagged image needs
    leftovers          `active-*`/`view-*`/`unpack-*` snapshots, ingest files, tmp entries:
                       what a build that died left behind (only when no build is running)

`graph()` gives the reference edges for `state.gc.mark`: images keep their manifest,
config and layer blobs (and, for `prune` without --all, their unpacked snapshots and the
cache records that made their layers); a kept record keeps its snapshots and blobs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pallet.state.leases import builds_running

IMAGE_MEDIA = ("manifest", "index")


@dataclass
class Item:
    """One row of `builder du`: something prune can free."""

    node: tuple  # the gc node: ("cache", key), ("snapshot", name), ("cachemount", ns), ...
    id: str
    kind: str  # buildx's record types: regular, exec.cachemount, internal, frontend
    size: int
    last_used: float | None
    description: str = ""
    in_use: bool = False
    parents: list[tuple] = field(default_factory=list)


@dataclass
class Inventory:
    root: object  # StateRoot
    images: list  # ImageRecord
    blobs: dict[str, int]  # digest -> size
    records: dict[str, dict]  # key -> {"layers": [...], "last_used": float, "created": float}
    snapshots: dict[str, dict]  # name -> {"id", "kind", "chain"}
    cache_mounts: list  # CacheMountInfo
    building: bool  # a build holds its lease: leftovers are not leftovers yet
    foreign_blobs: set = field(default_factory=set)  # other builders' cache records use them
    _blob_refs: dict = field(default_factory=dict)

    # -- references -----------------------------------------------------------------
    def refs(self, node: tuple, *, keep_build_cache: bool) -> list[tuple]:
        kind, value = node
        if kind == "image":
            return [("blob", value.target.digest)]
        if kind == "blob":
            return self._blob_children(value, keep_build_cache)
        if kind == "cache":
            layers = self.records.get(value, {}).get("layers", [])
            return [n for layer in layers
                    for n in (("snapshot", layer["snapshot"]), ("blob", layer["digest"]))]
        if kind == "snapshot":
            return [("snapshot", p) for p in self.snapshot_parents(value)]
        return []

    def _blob_children(self, digest: str, keep_build_cache: bool) -> list[tuple]:
        key = (digest, keep_build_cache)
        if key not in self._blob_refs:
            self._blob_refs[key] = self._read_children(digest, keep_build_cache)
        return self._blob_refs[key]

    def _read_children(self, digest: str, keep_build_cache: bool) -> list[tuple]:
        doc = self._json_blob(digest)
        if not isinstance(doc, dict):
            return []
        children = [("blob", m.get("digest")) for m in doc.get("manifests") or ()]
        if "layers" in doc and isinstance(doc.get("config"), dict):
            layers = [d.get("digest") for d in doc.get("layers") or ()]
            children += [("blob", doc["config"].get("digest")), *(("blob", d) for d in layers)]
            if keep_build_cache:
                children += self._build_cache_of(doc["config"].get("digest"), set(layers))
        return children

    def _build_cache_of(self, config_digest: str, layer_digests: set[str]) -> list[tuple]:
        """What made an image, kept by `prune` without --all: its unpacked base layers and
        every cache record whose top layer is one of the image's layers."""
        out = [("snapshot", name) for name in self._chain_names(config_digest)]
        for key, record in self.records.items():
            layers = record.get("layers") or []
            if layers and layers[-1]["digest"] in layer_digests:
                out.append(("cache", key))
        return out

    def _chain_names(self, config_digest: str) -> list[str]:
        from pallet.snapshot.unpack import chain_names

        config = self._json_blob(config_digest)
        return chain_names(((config or {}).get("rootfs") or {}).get("diff_ids") or [])

    def _json_blob(self, digest: str):
        if digest not in self.blobs or self.blobs[digest] > 4 << 20:
            return None
        try:
            return json.loads(_blob_path(self.root, digest).read_bytes())
        except (OSError, ValueError):
            return None

    def snapshot_parents(self, name: str) -> list[str]:
        info = self.snapshots.get(name)
        if not info or not info["chain"]:
            return []
        by_id = {v["id"]: k for k, v in self.snapshots.items() if v["kind"] == "committed"}
        parent = by_id.get(info["chain"][-1])
        return [parent] if parent else []

    def mark(self, *, keep_build_cache: bool, extra_roots=()) -> set:
        """What tagged images (and `extra_roots`) keep; see `refs` for keep_build_cache."""
        from pallet.state.gc import mark

        roots = [*(("image", record) for record in self.images), *extra_roots]
        return mark(roots, lambda n: self.refs(n, keep_build_cache=keep_build_cache))

    # -- rows -----------------------------------------------------------------------
    def items(self) -> list[Item]:
        """Build-cache rows: every committed snapshot, cache mount, non-image blob, leftover."""
        image_nodes = self.mark(keep_build_cache=False)
        last_used = self._snapshot_last_used()
        rows = []
        for name, info in sorted(self.snapshots.items()):
            if info["kind"] != "committed":
                continue
            rows.append(Item(("snapshot", name), _short(name), "regular",
                             dir_size(self._snapshot_dir(info["id"])),
                             last_used.get(name) or _mtime(self._snapshot_dir(info["id"])),
                             description=name,
                             parents=[("snapshot", p) for p in self.snapshot_parents(name)]))
        from pallet.engine.cachemounts import is_in_use

        for cm in self.cache_mounts:
            rows.append(Item(("cachemount", cm.name), cm.name[:25], "exec.cachemount",
                             dir_size(cm.path), cm.last_used,
                             description=f"mount / from exec {cm.id}", in_use=is_in_use(cm)))
        for digest, size in sorted(self.blobs.items()):
            if ("blob", digest) not in image_nodes and digest not in self.foreign_blobs:
                rows.append(Item(("blob", digest), _short(digest), "regular", size,
                                 _mtime(_blob_path(self.root, digest)), description=digest))
        rows += self.leftovers()
        return rows

    def _snapshot_last_used(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for record in self.records.values():
            for layer in record.get("layers") or ():
                name = layer["snapshot"]
                out[name] = max(out.get(name, 0.0), record["last_used"])
        return out

    def _snapshot_dir(self, sid: int) -> Path:
        return self.root.snapshots_dir / "snapshots" / str(sid)

    def leftovers(self) -> list[Item]:
        """What killed builds left; while a build runs, the same things are in use."""
        rows = []
        for name, info in sorted(self.snapshots.items()):
            if info["kind"] != "committed":
                path = self._snapshot_dir(info["id"])
                rows.append(Item(("active", name), name[:25], "internal", dir_size(path),
                                 _mtime(path), description=f"active snapshot {name}",
                                 in_use=self.building))
        known = {str(v["id"]) for v in self.snapshots.values()}
        snap_dirs = self.root.snapshots_dir / "snapshots"
        for entry in _entries(snap_dirs):
            if entry.name not in known:
                rows.append(Item(("stray", str(entry)), f"snapshot-dir-{entry.name}", "internal",
                                 dir_size(entry), _mtime(entry),
                                 description=f"snapshot dir without metadata {entry}",
                                 in_use=self.building))
        for base in (self.root.content_dir / "ingest", self.root.tmp_dir):
            for entry in _entries(base):
                rows.append(Item(("stray", str(entry)), entry.name[:25], "internal",
                                 dir_size(entry), _mtime(entry), description=str(entry),
                                 in_use=self.building))
        return rows


def load_inventory(root, *, building: bool | None = None) -> Inventory:
    """`building`: whether a build holds its lease (asked when None; the gc lease holder
    passes False, since its own exclusive lock would look like a build)."""
    from pallet.engine.cachemounts import list_cache_mounts
    from pallet.image.store import ImageStore
    from pallet.state.db import connect

    root.ensure()
    db = connect(root.db_path)
    try:
        images = ImageStore(db).list()
    finally:
        db.close()
    records = _records(root.cache_db_path)
    # Blobs that another builder's cache records use are that builder's too: this builder's
    # du does not count them and its prune never deletes them (one content store per root).
    foreign = {layer["digest"] for other in root.builders_with_cache()
               if other.builder != root.builder and other.cache_db_path.exists()
               for record in _records(other.cache_db_path).values() for layer in record["layers"]}
    return Inventory(root, images, _blobs(root), records, _snapshots(root),
                     list_cache_mounts(root.cache_mounts_dir),
                     builds_running(root) if building is None else building, foreign)


def _records(db_path) -> dict[str, dict]:
    """The cache records of one builder: key -> {"layers", "created", "last_used"}."""
    from pallet.state.db import connect

    db = connect(db_path)
    try:
        return {key: {"layers": json.loads(result), "created": created, "last_used": last_used}
                for key, result, created, last_used in db.execute(
                    "SELECT key, result, created, last_used FROM cache")}
    finally:
        db.close()


def _blobs(root) -> dict[str, int]:
    blobs_dir = root.content_dir / "blobs" / "sha256"
    return {f"sha256:{e.name}": e.stat().st_size for e in _entries(blobs_dir) if e.is_file()}


def _blob_path(root, digest: str) -> Path:
    return root.content_dir / "blobs" / "sha256" / digest.split(":", 1)[1]


def _snapshots(root) -> dict[str, dict]:
    try:
        meta = json.loads((root.snapshots_dir / "metadata.json").read_text())
    except (OSError, ValueError):
        return {}
    return meta.get("snapshots", {})


def _entries(path: Path) -> list[Path]:
    try:
        return sorted(path.iterdir())
    except OSError:
        return []


def _short(name: str) -> str:
    """buildx prints 25 characters of a record id."""
    return name.split("-", 1)[-1].split(":", 1)[-1][:25]


def _mtime(path: Path) -> float | None:
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return None


def dir_size(path: Path) -> int:
    """Apparent size of the files under `path` (each inode once); 0 if it is gone."""
    total, seen = 0, set()
    try:
        st = os.lstat(path)
    except OSError:
        return 0
    if not os.path.isdir(path) or os.path.islink(path):
        return st.st_size
    for dirpath, dirnames, filenames in os.walk(path):
        for name in filenames:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total

