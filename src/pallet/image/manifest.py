"""OCI image manifests and indexes (image-spec manifest.md, image-index.md) as bytes.

Field order is image-spec 1.1's Go structs, as containerd and BuildKit marshal them:
schemaVersion, mediaType, config, layers, annotations (manifest) and schemaVersion,
mediaType, manifests, annotations (index).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pallet.errors import UserError
from pallet.image.descriptor import INDEX_TYPES, MANIFEST_TYPES, OCI_INDEX, OCI_MANIFEST, Descriptor
from pallet.image.gojson import go_marshal, sorted_map


@dataclass
class Manifest:
    config: Descriptor
    layers: list[Descriptor]
    media_type: str = OCI_MANIFEST
    annotations: dict[str, str] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        d: dict = {"schemaVersion": 2, "mediaType": self.media_type, "config": self.config.to_dict()}
        d["layers"] = [layer.to_dict() for layer in self.layers]
        if self.annotations:
            d["annotations"] = sorted_map(self.annotations)
        return go_marshal(d)

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        d = _load(data, "manifest")
        if "config" not in d or d.get("mediaType", OCI_MANIFEST) not in MANIFEST_TYPES:
            raise UserError("invalid image manifest: no config, or not a manifest media type")
        return cls(
            Descriptor.from_dict(d["config"]),
            [Descriptor.from_dict(x) for x in d.get("layers") or []],
            d.get("mediaType", OCI_MANIFEST),
            dict(d.get("annotations") or {}),
        )


@dataclass
class Index:
    manifests: list[Descriptor]
    media_type: str = OCI_INDEX
    annotations: dict[str, str] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        d: dict = {"schemaVersion": 2, "mediaType": self.media_type}
        d["manifests"] = [m.to_dict() for m in self.manifests]
        if self.annotations:
            d["annotations"] = sorted_map(self.annotations)
        return go_marshal(d)

    @classmethod
    def from_bytes(cls, data: bytes) -> Index:
        d = _load(data, "index")
        if not isinstance(d.get("manifests"), list) or d.get("mediaType", OCI_INDEX) not in INDEX_TYPES:
            raise UserError("invalid image index: no manifests list, or not an index media type")
        return cls(
            [Descriptor.from_dict(x) for x in d["manifests"]],
            d.get("mediaType", OCI_INDEX),
            dict(d.get("annotations") or {}),
        )


def _load(data: bytes, what: str) -> dict:
    try:
        d = json.loads(data)
    except ValueError as e:
        raise UserError(f"invalid image {what}: {e}") from None
    if not isinstance(d, dict):
        raise UserError(f"invalid image {what}: not a JSON object")
    return d
