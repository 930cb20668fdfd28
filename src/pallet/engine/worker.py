"""LocalWorker: executes one op against the state root (snapshots, runc, content store).

Every op that changes files runs the same way: prepare an active snapshot over the input's
layers, change it (a container, a copy, a mkdir), write its upper dir as a layer blob,
commit it under a name derived from the cache key, and record key -> layers. A result is
the whole chain of layers, so an image is just its final result.
"""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from pathlib import Path

from pallet.engine.cache import CacheRecords
from pallet.graph.digest import digest_of
from pallet.graph.ops import ContextSource, Copy, Exec, ImageSource, Mkdir, Op, Scratch
from pallet.solver.result import Layer, Result


class LocalWorker:
    def __init__(self, root, *, epoch: int | None = None, compression=None, context_matcher=None,
                 secrets_provider=None) -> None:
        from pallet.archive.compression import Compression
        from pallet.content.local import LocalContentStore
        from pallet.engine.cancel import Cancellation, CancellableRuncExecutor
        from pallet.snapshot.overlay import OverlaySnapshotter
        from pallet.state.db import connect

        self.root = root.ensure()
        self.blobs = LocalContentStore(root.content_dir)
        self.db = connect(root.db_path)
        # A builder's cache records are its own (state/root.py); images stay in metadata.db.
        same = root.cache_db_path == root.db_path
        self.cache = CacheRecords(self.db if same else connect(root.cache_db_path))
        self.snapshots = OverlaySnapshotter(root.snapshots_dir)
        # Ctrl-C: api._solve calls self.cancellation.cancel() (see engine/cancel.py).
        self.cancellation = Cancellation()
        self.executor = CancellableRuncExecutor(self.cancellation, work_dir=str(root.tmp_dir))
        self.epoch = epoch
        self.compression = compression or Compression.GZIP
        self.context_matcher = context_matcher
        self.secrets = secrets_provider
        self._stat_cache = None
        self._file_pool = None
        self._parts: dict[str, dict] = {}  # key -> what it was computed from
        # Records of --cache-from (engine/remotecache.ImportedRecords), or None: consulted
        # after the local records; their blobs are fetched only when a hit is used.
        self.imported = None

    # -- cache keys -------------------------------------------------------------------
    def cache_key(self, op: Op, inputs: list[Result]) -> str:
        parts: dict = {"op": op.identity(), "inputs": [r.key for r in inputs]}
        if isinstance(op, Copy) and isinstance(op.source, ContextSource):
            parts["content"] = self._context_checksum(inputs[1].context_path, op.spec.sources,
                                                      op.spec.exclude)
        if isinstance(op, Exec):
            for i, (mount, source) in enumerate(zip(op.mounts, op.mount_sources)):
                if mount.type == "bind" and isinstance(source, ContextSource):
                    parts[f"mount{i}"] = self._context_checksum(
                        inputs[1 + i].context_path, [mount.source_path], ())
        if self.epoch is not None:  # SOURCE_DATE_EPOCH changes the bytes of every layer
            parts["epoch"] = self.epoch
        key = digest_of(parts)
        self._parts[key] = parts
        return key

    def _context_checksum(self, context: str, sources, exclude) -> str:
        from pallet.engine.checksum import context_checksum

        return context_checksum(Path(context), list(sources), self.context_matcher,
                                exclude=list(exclude), stat_cache=self.stat_cache)

    @property
    def stat_cache(self):
        """What is known of context files' digests (engine/checksum.py), loaded once."""
        if self._stat_cache is None:
            from pallet.engine.checksum import StatCache

            self._stat_cache = StatCache(self.root.stat_cache_path)
        return self._stat_cache

    @property
    def file_pool(self):
        """Context files shared between COPY snapshots by hard link (snapshot/filepool.py)."""
        if self._file_pool is None:
            from pallet.snapshot.filepool import FilePool

            self._file_pool = FilePool(self.root.file_pool_dir, self.stat_cache.digest)
        return self._file_pool

    def flush(self) -> None:
        if self._stat_cache is not None:
            self._stat_cache.save()

    # -- lookup ----------------------------------------------------------------------
    def lookup(self, op: Op, key: str) -> Result | None:
        """A hit needs every layer's blob, here or fetchable from a --cache-from; a missing
        snapshot is no miss: `materialise` unpacks it if the result is ever used."""
        if isinstance(op, Exec | Copy | Mkdir):
            for records in (self.cache, self.imported):  # local records first
                layers = records.get(key) if records is not None else None
                if layers is not None and all(self._layer_available(layer) for layer in layers):
                    return Result(key, tuple(layers), cached=True)
        return None

    def _layer_available(self, layer: Layer) -> bool:
        if self.blobs.has_blob(layer.digest):
            return True
        return self.imported is not None and self.imported.can_fetch(layer.digest)

    def ensure_blob(self, digest: str) -> None:
        """The blob in the local content store, downloaded from a --cache-from if needed."""
        if not self.blobs.has_blob(digest):
            if self.imported is None:
                from pallet.errors import NotFoundError

                raise NotFoundError(f"blob {digest} is not in the content store")
            self.imported.fetch(digest, self.blobs)

    def materialise(self, result: Result) -> None:
        """Make a cached result usable: each layer whose snapshot is missing (a remote cache
        hit, or a record whose snapshot was pruned) is unpacked from its blob on top of its
        parent's snapshot. Done only when the result is used — as an input of a step that
        runs, or as the build's final result — so unused intermediate hits cost nothing."""
        from pallet.snapshot.unpack import _unpack_layer

        parent = None
        for layer in result.layers:
            if not self.snapshots.exists(layer.snapshot):
                self.ensure_blob(layer.digest)
                _unpack_layer(self.blobs, self.snapshots, layer, layer.snapshot, parent)
            parent = layer.snapshot
        for key, chain in self.imported.along(result.layers) if self.imported is not None else ():
            if self.cache.get(key) is None:  # unpacked now: later builds hit without --cache-from
                self.cache.put(key, chain, {"imported": True})

    # -- execution -------------------------------------------------------------------
    def execute(self, op: Op, key: str, inputs: list[Result], progress, vertex) -> Result:
        with self.cancellation.step():  # no new step after a Ctrl-C; cancel() waits for this one
            return self._execute(op, key, inputs, progress, vertex)

    def _execute(self, op: Op, key: str, inputs: list[Result], progress, vertex) -> Result:
        if isinstance(op, Scratch):
            return Result(key)
        if isinstance(op, ContextSource):
            return Result(key, context_path=op.path)
        if isinstance(op, ImageSource):
            return self._image(op, key)
        parent = inputs[0]
        for used in inputs:  # cached inputs may be layers not unpacked yet (remote cache)
            self.materialise(used)
        with self._active(parent) as (active, mounts):
            if isinstance(op, Exec):
                from pallet.engine.run import run_exec

                run_exec(self, op, inputs, mounts, progress, vertex)
            elif isinstance(op, Copy):
                from pallet.engine.copystep import run_copy

                run_copy(self, op, inputs[1], mounts, self.snapshots.upper_dir(active))
            elif isinstance(op, Mkdir):
                from pallet.engine.copystep import run_mkdir

                run_mkdir(self, op, mounts)
            layer = self._commit(active, key, op.meta.epoch if self.epoch is None else self.epoch)
        result = Result(key, (*parent.layers, layer))
        self.cache.put(key, result.layers, self._parts.get(key, {}))
        return result

    @contextmanager
    def _active(self, parent: Result):
        active = f"active-{secrets.token_hex(8)}"
        parents = [parent.layers[-1].snapshot] if parent.layers else []
        mounts = self.snapshots.prepare(active, parents)
        try:
            yield active, mounts
        except BaseException:
            self.snapshots.remove(active)
            raise

    def _commit(self, active: str, key: str, epoch: int) -> Layer:
        """The active snapshot's diff as a layer blob, then committed under the key."""
        from pallet.errors import AlreadyExistsError
        from pallet.image.layers import write_tree_layer

        written = write_tree_layer(self.blobs, self.snapshots.upper_dir(active), self.compression,
                                   epoch=epoch, overlay=True)
        name = "sha256-" + key.split(":", 1)[1]
        try:
            self.snapshots.commit(name, active)
        except AlreadyExistsError:  # another build made the same step meanwhile
            self.snapshots.remove(active)
        return _layer(name, written)

    # -- base images -----------------------------------------------------------------
    def _image(self, op: ImageSource, key: str) -> Result:
        """The image's layers, each unpacked once into a snapshot named by its chain id."""
        from pallet.content.base import read_blob
        from pallet.image.config import ImageConfig
        from pallet.image.manifest import Manifest
        from pallet.snapshot.unpack import unpack_layers

        manifest = Manifest.from_bytes(read_blob(self.blobs, op.manifest_digest))
        config = ImageConfig.from_bytes(read_blob(self.blobs, manifest.config.digest))
        names = unpack_layers(self.blobs, self.snapshots, manifest.layers, config.diff_ids)
        return Result(key, tuple(
            Layer(name, diff_id, desc.digest, desc.size, desc.media_type)
            for name, desc, diff_id in zip(names, manifest.layers, config.diff_ids)))

def _layer(name: str, written) -> Layer:
    d = written.descriptor
    return Layer(name, written.diff_id, d.digest, d.size, d.media_type)

