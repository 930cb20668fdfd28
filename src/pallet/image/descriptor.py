"""OCI descriptors (image-spec descriptor.md) and the media types pallet reads and writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from pallet.image.digest import check_digest
from pallet.image.platform import Platform

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_GZIP = OCI_LAYER + "+gzip"
OCI_LAYER_ZSTD = OCI_LAYER + "+zstd"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_INDEX = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_LAYER_GZIP = DOCKER_LAYER + ".gzip"

MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_INDEX})

# Annotations containerd and BuildKit put on index entries of an OCI layout.
ANNOTATION_IMAGE_NAME = "io.containerd.image.name"
ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name"


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int
    annotations: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    platform: Platform | None = None

    def to_dict(self) -> dict:
        """Go field order of ocispec.Descriptor: mediaType, digest, size, annotations, platform."""
        d: dict = {"mediaType": self.media_type, "digest": self.digest, "size": self.size}
        if self.annotations:
            d["annotations"] = {k: self.annotations[k] for k in sorted(self.annotations)}
        if self.platform is not None:
            d["platform"] = self.platform.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> Descriptor:
        from pallet.errors import UserError

        try:
            size = int(d["size"])
            digest = check_digest(d["digest"])
            media_type = str(d.get("mediaType", ""))
        except (KeyError, TypeError, ValueError) as e:
            raise UserError(f"invalid descriptor {d!r}: {e}") from None
        plat = d.get("platform")
        return cls(
            media_type,
            digest,
            size,
            dict(d.get("annotations") or {}),
            Platform.from_dict(plat) if isinstance(plat, dict) else None,
        )

    def bare(self) -> Descriptor:
        """Media type, digest and size only: no annotations, no platform."""
        return Descriptor(self.media_type, self.digest, self.size)

    def with_annotations(self, annotations: dict[str, str]) -> Descriptor:
        return Descriptor(self.media_type, self.digest, self.size, dict(annotations), self.platform)
