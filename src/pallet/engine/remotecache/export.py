"""`--cache-to`: the build's records, out to a registry, a directory, or the image itself.

Which records (BuildKit's `mode`):
- min: the steps of the final image's own chain — each one's layers are a prefix of the
  image's, so the cache costs no blob the image does not have;
- max: every step of every stage the target used, so a fresh machine skips builder
  stages too.

An export merges with the cache already at the destination (records by key, the new chain
winning) instead of replacing it: two builds — two platforms, two targets — exporting to
one ref both stay cached. Blobs are content-addressed and manifests are written last, so an
export that stops half-way leaves the old cache readable.
"""

from __future__ import annotations

from pallet.engine.remotecache.config import (
    INLINE_FIELD,
    BlobRef,
    CacheFormatError,
    Records,
    encode_config,
    merge,
    to_inline,
    to_manifest,
)
from pallet.errors import PalletError, RegistryError, UserError
from pallet.graph.ops import Copy, Exec, Mkdir, Op

RECORD_OPS = (Exec, Copy, Mkdir)  # the ops LocalWorker keeps cache records for


def collect(solve, target: Op, mode: str) -> dict[str, object]:
    """key -> Result of the steps `mode` exports; `solve(op)` gives a solved op's result."""
    found: dict[str, object] = {}
    if mode == "min":
        op = target
        while isinstance(op, RECORD_OPS):
            _add(found, solve(op))
            op = op.inputs()[0]  # the parent: the chain the image is built on
        return found
    seen: set[str] = set()
    stack = [target]
    while stack:
        op = stack.pop()
        digest = op.digest()
        if digest in seen:
            continue
        seen.add(digest)
        if isinstance(op, RECORD_OPS):
            _add(found, solve(op))
        stack.extend(op.inputs())
    return found


def _add(found: dict, result) -> None:
    if result is not None and result.layers:
        found[result.key] = result


def to_records(results: dict[str, object]) -> Records:
    return {key: tuple(BlobRef.of(layer) for layer in r.layers) for key, r in results.items()}


def inline_fields(solve, target: Op, result) -> dict:
    """The image config field of `--cache-to type=inline` (always mode=min)."""
    records = to_records(collect(solve, target, "min"))
    return {INLINE_FIELD: to_inline(records, result.layers)} if records else {}


def export_cache(spec, store, records: Records, worker, progress) -> None:
    """Merge `records` into the cache at `store`, then write it; raises PalletError."""
    from pallet.engine.remotecache.import_ import read_records
    from pallet.image.digest import sha256_digest

    name = "registry" if spec.type == "registry" else "client directory"
    v = progress.vertex(f"exporting cache to {name}")
    try:
        progress.status(v, "preparing build cache for export")
        try:
            old = read_records(store) or {}
        except CacheFormatError:
            old = {}  # not a cache (an image, garbage): replace it, as BuildKit would
        config, blobs = encode_config(merge(old, records))
        manifest = to_manifest(config, sha256_digest(config), blobs)
        digest = store.write(manifest, config, worker.blobs, lambda desc: worker.ensure_blob(desc.digest))
        progress.status(v, f"writing cache manifest {digest} done")
    except (PalletError, OSError) as err:
        progress.done(v, error=getattr(err, "message", None) or str(err))
        raise _export_error(spec, err) from None
    progress.done(v)


def _export_error(spec, err: Exception) -> PalletError:
    """BuildKit fails the build when a --cache-to cannot be written; keep the error's kind."""
    text = f"failed to export cache to {spec.shown}: " + (getattr(err, "message", None) or str(err))
    hint = getattr(err, "hint", None) or "the image itself was built and exported"
    hint += "; add ignore-error=true to --cache-to to make this a warning"
    if isinstance(err, RegistryError):
        return type(err)(text, hint=hint, code=err.code, status=err.status)
    return UserError(text, hint=hint)
