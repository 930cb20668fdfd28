"""Build cache through a registry or a directory: `--cache-to` and `--cache-from`.

    spec.py     buildx's cache grammar -> CacheExport / CacheImport (OptionError on typos)
    config.py   the format: BuildKit's cache config v0 (records -> layer chains) + manifest
    stores.py   a registry repository or an OCI layout directory, behind one interface
    import_.py  --cache-from: records into the worker's lookup; blobs fetched when a hit is used
    export.py   --cache-to: mode=min|max records, merged into what the destination holds

`RemoteCache` is the one object the build pipeline (engine/api.py) talks to: it imports
before solving, hands the inline-cache config field to the image export, and exports after.
"""

from __future__ import annotations

import sys

from pallet.engine.remotecache.spec import CacheExport, CacheImport, parse_cache_from, parse_cache_to


class RemoteCache:
    """The remote caches of one build; `close()` ends its registry connections."""

    def __init__(self, exports: list[CacheExport], imports: list[CacheImport], progress, *,
                 platforms: list[str] | None = None, quiet: bool = False) -> None:
        self.exports = exports
        self.imports = imports
        self.progress = progress
        self.platforms = platforms or []  # the build's --platform list; none: the host's
        self.quiet = quiet
        self._client = None

    @classmethod
    def from_options(cls, options, progress) -> RemoteCache:
        """Parse --cache-to/--cache-from; a bad value fails here, before anything is built."""
        return cls(parse_cache_to(options.cache_to or []), parse_cache_from(options.cache_from or []),
                   progress, platforms=options.platforms, quiet=options.quiet)

    def client(self):
        if self._client is None:
            from pallet.registry.client import RegistryClient

            self._client = RegistryClient()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def warn(self, text: str) -> None:
        if not self.quiet:
            sys.stderr.write(f"WARNING: {text}\n")
            sys.stderr.flush()

    # -- before solving ---------------------------------------------------------------
    def import_into(self, worker) -> None:
        """Give the worker's lookup the records of every --cache-from."""
        if not self.imports:
            return
        from pallet.engine.remotecache.import_ import import_caches
        from pallet.image.platform import parse_platform

        platforms = [parse_platform(p) for p in self.platforms]
        worker.imported = import_caches(self.imports, self.progress, client_factory=self.client,
                                        partial_dir=worker.blobs.ingest_dir, platforms=platforms,
                                        warn=self.warn)

    # -- between solving and exporting the image ---------------------------------------
    def config_fields(self, solve, target, result) -> dict:
        """Fields for one platform's image config: `moby.buildkit.cache.v0` for --cache-to
        type=inline (each platform's image carries its own, as with BuildKit)."""
        if not any(spec.type == "inline" for spec in self.exports):
            return {}
        from pallet.engine.remotecache.export import inline_fields

        return inline_fields(solve, target, result)

    # -- after exporting the image --------------------------------------------------------
    def export(self, worker, solve, targets) -> None:
        """Every registry/local --cache-to, with the records of every target op (one per
        platform: they all go under one ref); a failure raises unless ignore-error=true."""
        if not self.exports:
            return
        from pallet.engine.remotecache.export import collect, export_cache, to_records
        from pallet.engine.remotecache.stores import LocalCache, RegistryCache
        from pallet.errors import PalletError

        for spec in self.exports:
            if spec.type == "inline":
                continue
            records = to_records({k: r for t in targets for k, r in collect(solve, t, spec.mode).items()})
            store = (RegistryCache(spec.ref, self.client(), worker.blobs.ingest_dir, push=True)
                     if spec.type == "registry" else LocalCache(spec.path, spec.tag))
            try:
                export_cache(spec, store, records, worker, self.progress)
            except PalletError as err:
                if not spec.ignore_error:
                    raise
                self.warn(err.message)


__all__ = ["CacheExport", "CacheImport", "RemoteCache", "parse_cache_from", "parse_cache_to"]
