"""`--cache-from`: read records from registries and directories, for the worker's lookup.

Nothing but manifests and configs is read here. Layer blobs stay where they are until a hit
is used (LocalWorker.materialise): a build whose last step hits needs that step's chain; a
builder stage whose result only fed a COPY that hit too needs nothing at all.

A source that cannot be read is a warning and the build goes on without it, as BuildKit
does: a cache is an optimisation, never a reason to fail a build.
"""

from __future__ import annotations

import base64
import json
import os
import threading

from pallet.engine.remotecache.config import (
    INLINE_FIELD,
    CacheFormatError,
    Records,
    decode_config,
    decode_inline,
    split_manifest,
    to_layers,
)
from pallet.errors import NotFoundError, PalletError, StoreError
from pallet.image.descriptor import INDEX_TYPES
from pallet.solver.result import Layer


class ImportedRecords:
    """Records from every --cache-from, and where each of their blobs can be fetched."""

    def __init__(self) -> None:
        self._layers: dict[str, tuple[Layer, ...]] = {}
        self._sources: dict[str, object] = {}  # blob digest -> a store with fetch()
        self._lock = threading.Lock()

    def add(self, records: Records, source) -> None:
        for key, layers in to_layers(records).items():
            self._layers.setdefault(key, layers)  # the first --cache-from wins, as listed
        for blobs in records.values():
            for blob in blobs:
                self._sources.setdefault(blob.digest, (source, blob))

    def __len__(self) -> int:
        return len(self._layers)

    def get(self, key: str) -> tuple[Layer, ...] | None:
        return self._layers.get(key)

    def along(self, layers: tuple[Layer, ...]) -> list[tuple[str, tuple[Layer, ...]]]:
        """(key, chain) of the imported records that are prefixes of `layers`: once those
        layers are unpacked, the records can become local ones. A step's layer carries its
        key in its snapshot name (`sha256-<hex>`, config.to_layers)."""
        out = []
        for n, layer in enumerate(layers, 1):
            key = "sha256:" + layer.snapshot.removeprefix("sha256-")
            if layer.snapshot.startswith("sha256-") and self._layers.get(key) == layers[:n]:
                out.append((key, layers[:n]))
        return out

    def can_fetch(self, digest: str) -> bool:
        return digest in self._sources

    def fetch(self, digest: str, store) -> None:
        """Download one blob into `store`; one download per blob even across solver threads
        (the registry's partial-file lock serialises the rest)."""
        if digest not in self._sources:
            raise StoreError(f"blob {digest} is neither in the content store nor in any --cache-from",
                             hint="build again without --cache-from, or prune the build cache")
        source, blob = self._sources[digest]
        try:
            source.fetch(blob, store)
        except OSError as e:
            raise StoreError(f"failed to read cache blob {digest}: {e}") from None


def read_records(store, platforms=()) -> Records | None:
    """The records at a store: a cache manifest, or an image carrying inline cache (that of
    each of `platforms` in an index; none: the host's). None when there is nothing there."""
    found = store.read()
    if found is None:
        return None
    data, media_type = found
    parts = split_manifest(data, media_type)
    if parts is not None:
        config_desc, layers = parts
        return decode_config(store.read_blob(config_desc), layers)
    if media_type not in INDEX_TYPES:
        return _inline(store, data)
    from pallet.image.local import pick_platform
    from pallet.image.manifest import Index
    from pallet.image.platform import host_platform

    manifests = Index.from_bytes(data).manifests
    picked = []  # a platform the image lacks builds without its cache
    for platform in platforms or [host_platform()]:
        try:
            picked.append(pick_platform(manifests, platform).digest)
        except NotFoundError as e:
            missing = e
    if not picked:
        raise missing
    records: Records = {}
    for digest in dict.fromkeys(picked):
        found = store.read(digest)
        if found is None:
            raise CacheFormatError(f"manifest {digest} of the image is missing")
        records.update(_inline(store, found[0]))
    return records


def _inline(store, data: bytes) -> Records:
    """An image manifest: its config's `moby.buildkit.cache.v0`, over its own layers."""
    from pallet.image.manifest import Manifest

    manifest = Manifest.from_bytes(data)
    try:
        config = json.loads(store.read_blob(manifest.config))
        value = config.get(INLINE_FIELD)
        diff_ids = list((config.get("rootfs") or {}).get("diff_ids") or [])
    except (ValueError, AttributeError):
        raise CacheFormatError("the image config is not JSON") from None
    if not value:
        raise CacheFormatError("the image has no inline cache metadata",
                               hint="build it with --cache-to type=inline, or export a cache"
                                    " with --cache-to type=registry,ref=...")
    if isinstance(value, dict):  # tolerate a config that kept the JSON un-encoded
        value = base64.b64encode(json.dumps(value).encode()).decode()
    return decode_inline(value, manifest.layers, diff_ids)


def import_caches(specs, progress, *, client_factory, partial_dir, platforms=(), warn) -> ImportedRecords:
    """Every --cache-from in order; each failure is a `warn(text)` and the build goes on."""
    from pallet.engine.remotecache.stores import LocalCache, RegistryCache

    imported = ImportedRecords()
    for spec in specs:
        if spec.type == "local":
            if not os.path.isdir(spec.path):
                # buildx's wording for a local cache that is not there (yet)
                warn(f"local cache import at {spec.path} not found due to err: could not read "
                     f"{spec.path}/index.json: open {spec.path}/index.json: no such file or directory")
                continue
            store = LocalCache(spec.path, spec.tag, spec.digest)
        else:
            store = RegistryCache(spec.ref, client_factory(), partial_dir)
        v = progress.vertex(f"importing cache manifest from {spec.shown}")
        try:
            records = read_records(store, platforms)
        except (PalletError, OSError) as err:
            text = getattr(err, "message", None) or str(err)
            progress.done(v, error=text)
            warn(f"cache import from {spec.shown} failed, building without it: {text}")
            continue
        if records is None:
            progress.done(v, error=f"{spec.shown}: not found")
            warn(f"no cache found at {spec.shown}; building without it")
            continue
        imported.add(records, store)
        progress.status(v, f"{len(records)} cache records")
        progress.done(v)
    return imported

