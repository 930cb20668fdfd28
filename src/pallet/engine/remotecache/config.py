"""The exported cache format: records (cache key -> layer chain) as a manifest and a config.

The config is BuildKit's cache config v0 (cache/remotecache/v1/spec.go), media type
`application/vnd.buildkit.cacheconfig.v0`, keeping only the parts pallet needs:

    {"layers":  [{"blob": "sha256:..", "parent": -1}, {"blob": "sha256:..", "parent": 0}],
     "records": [{"digest": "<pallet cache key>", "results": [{"layer": 1}]}]}

A record's result is the top layer of its chain; the chain is followed through `parent`.
BuildKit links records to their inputs (`inputs`) because its keys are computed per edge;
a pallet key already folds in its inputs' keys (engine/worker.py:cache_key), so pallet
records need no links, and BuildKit reading a pallet cache just finds no matching key.

Where the layer blobs are described (media type, size, and the diff_id under BuildKit's
`containerd.io/uncompressed` annotation):
- registry and local caches: an OCI image manifest whose config is the cache config and
  whose layers are every blob a record uses (BuildKit's `image-manifest=true` shape; an
  index whose last entry is the config, BuildKit's older default, is read too);
- inline cache: the image's own manifest and config. The cache config is stored base64 in
  the image config's top-level `moby.buildkit.cache.v0` field, as BuildKit does, and its
  layer i is the image's layer i.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from pallet.errors import UserError
from pallet.image.descriptor import INDEX_TYPES, OCI_MANIFEST, Descriptor
from pallet.image.manifest import Index, Manifest
from pallet.solver.result import Layer

CACHE_CONFIG = "application/vnd.buildkit.cacheconfig.v0"
ANNOTATION_UNCOMPRESSED = "containerd.io/uncompressed"
INLINE_FIELD = "moby.buildkit.cache.v0"


@dataclass(frozen=True, slots=True)
class BlobRef:
    """One layer blob of a cache: what a Layer is, minus the local snapshot name."""

    digest: str
    diff_id: str
    size: int
    media_type: str

    @classmethod
    def of(cls, layer: Layer) -> BlobRef:
        return cls(layer.digest, layer.diff_id, layer.size, layer.media_type)

    def descriptor(self) -> Descriptor:
        return Descriptor(self.media_type, self.digest, self.size, {ANNOTATION_UNCOMPRESSED: self.diff_id})


# cache key -> its layer chain, bottom first
Records = dict[str, tuple[BlobRef, ...]]


class CacheFormatError(UserError):
    """A cache manifest or config that pallet cannot read."""


# ------------------------------------------------------------------- encode --


def encode_config(records: Records) -> tuple[bytes, list[BlobRef]]:
    """(config JSON, the distinct blobs in config order); sorted, so equal records give
    equal bytes and a re-export of an unchanged cache changes nothing in the registry."""
    index: dict[tuple[str, int], int] = {}
    layers: list[dict] = []
    blobs: list[BlobRef] = []
    out_records = []
    for key in sorted(records):
        parent = -1
        for blob in records[key]:
            node = (blob.digest, parent)
            if node not in index:
                index[node] = len(layers)
                layers.append({"blob": blob.digest, "parent": parent})
                if blob not in blobs:
                    blobs.append(blob)
            parent = index[node]
        if parent >= 0:
            out_records.append({"digest": key, "results": [{"layer": parent}]})
    data = json.dumps({"layers": layers, "records": out_records}, separators=(",", ":")).encode()
    return data, blobs


def to_manifest(config: bytes, config_digest: str, blobs: list[BlobRef]) -> Manifest:
    return Manifest(Descriptor(CACHE_CONFIG, config_digest, len(config)), [b.descriptor() for b in blobs],
                    OCI_MANIFEST)


def to_inline(records: Records, chain: tuple[Layer, ...]) -> str:
    """The `moby.buildkit.cache.v0` value: records over the image's own layers, by position."""
    layers = [{"blob": layer.digest, "parent": i - 1} for i, layer in enumerate(chain)]
    out = [{"digest": key, "results": [{"layer": len(blobs) - 1}]}
           for key, blobs in sorted(records.items()) if blobs]
    data = json.dumps({"layers": layers, "records": out}, separators=(",", ":")).encode()
    return base64.b64encode(data).decode()


# ------------------------------------------------------------------- decode --


def split_manifest(data: bytes, media_type: str) -> tuple[Descriptor, list[Descriptor]] | None:
    """(config descriptor, layer descriptors) of a cache manifest; None when `data` is not a
    cache manifest (e.g. an image, whose config may hold inline cache)."""
    if media_type in INDEX_TYPES or b'"manifests"' in data:
        entries = Index.from_bytes(data).manifests
        configs = [d for d in entries if d.media_type == CACHE_CONFIG]
        if not configs:
            return None
        return configs[-1], [d for d in entries if d.media_type != CACHE_CONFIG]
    manifest = Manifest.from_bytes(data)
    if manifest.config.media_type != CACHE_CONFIG:
        return None
    return manifest.config, manifest.layers


def decode_config(data: bytes, layers: list[Descriptor]) -> Records:
    """Records of a cache config, with blobs described by the manifest's `layers`."""
    by_digest = {}
    for desc in layers:
        diff_id = desc.annotations.get(ANNOTATION_UNCOMPRESSED, "")
        if diff_id:  # a blob without its diff_id cannot become an image layer
            by_digest[desc.digest] = BlobRef(desc.digest, diff_id, desc.size, desc.media_type)
    return _records(_load(data), lambda i, digest: by_digest.get(digest))


def decode_inline(value: str, manifest_layers: list[Descriptor], diff_ids: list[str]) -> Records:
    """Records of an image's inline cache; config layer i is image layer i."""
    try:
        doc = _load(base64.b64decode(value, validate=True))
    except ValueError as e:
        raise CacheFormatError(f"invalid inline cache metadata: {e}") from None

    def resolve(i: int, digest: str) -> BlobRef | None:
        if i >= len(manifest_layers) or i >= len(diff_ids):
            return None
        d = manifest_layers[i]
        return BlobRef(d.digest, diff_ids[i], d.size, d.media_type)

    return _records(doc, resolve)


def _load(data: bytes) -> dict:
    try:
        doc = json.loads(data)
    except ValueError as e:
        raise CacheFormatError(f"invalid cache config: {e}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("layers", []), list):
        raise CacheFormatError("invalid cache config: not a cache config object")
    return doc


def _records(doc: dict, resolve) -> Records:
    layers = doc.get("layers") or []
    out: Records = {}
    for record in doc.get("records") or []:
        try:
            key = record["digest"]
            top = (record.get("results") or [{}])[0].get("layer")
        except (TypeError, KeyError, AttributeError):
            continue  # a record shape we do not know: skip it, keep the rest
        chain = _chain(layers, top, resolve) if isinstance(top, int) else None
        if chain and isinstance(key, str):
            out[key] = chain
    return out


def _chain(layers: list, top: int, resolve) -> tuple[BlobRef, ...] | None:
    """Follow `parent` links down from `top`; None if any link or blob is unusable."""
    out: list[BlobRef] = []
    i = top
    while i != -1:
        if not (isinstance(i, int) and 0 <= i < len(layers)) or len(out) > len(layers):
            return None  # out of range, or a cycle
        entry = layers[i] if isinstance(layers[i], dict) else {}
        blob = resolve(i, entry.get("blob", ""))
        if blob is None:
            return None
        out.append(blob)
        i = entry.get("parent", -1)
    return tuple(reversed(out))


def merge(old: Records, new: Records) -> Records:
    """Records of both; for a key in both, the new chain (it is what this build made)."""
    return {**old, **new}


# ------------------------------------------------------------------- layers --


def to_layers(records: Records) -> dict[str, tuple[Layer, ...]]:
    """Records as worker Layers, with the snapshot names the local worker would give them.

    A layer that is the top of some record's chain is that step's layer: the worker names
    it `sha256-<key>` when it commits it. Any other layer is a base image layer, named
    `chain-<chain id>` as snapshot.unpack names the base layers it unpacks — so a base image
    already in the store is reused, not downloaded again.
    """
    from pallet.snapshot.unpack import chain_names

    tops: dict[tuple[str, ...], str] = {}
    for key in sorted(records):
        tops.setdefault(tuple(b.digest for b in records[key]), key)
    out: dict[str, tuple[Layer, ...]] = {}
    for key, blobs in records.items():
        layers = []
        for n, (blob, chain_name) in enumerate(zip(blobs, chain_names(b.diff_id for b in blobs))):
            owner = tops.get(tuple(b.digest for b in blobs[:n + 1]))
            name = "sha256-" + owner.split(":", 1)[1] if owner else chain_name
            layers.append(Layer(name, blob.diff_id, blob.digest, blob.size, blob.media_type))
        out[key] = tuple(layers)
    return out
