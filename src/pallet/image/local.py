"""LocalImages: the local image store as users see it — names, ids, manifests, configs.

It joins the content store (blobs) and the ImageStore (names) and answers the questions the
CLI asks: which image does "busybox", "a416a98b71e2" or "sha256:a416..." mean; what are its
manifest and config; what does naming a new manifest record beside the name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pallet.content.base import ContentStore, read_blob
from pallet.errors import NotFoundError, UserError
from pallet.image.config import ImageConfig
from pallet.image.descriptor import INDEX_TYPES, Descriptor
from pallet.image.manifest import Index, Manifest
from pallet.image.platform import Platform, host_platform
from pallet.image.reference import parse_tagged
from pallet.image.store import ImageRecord, ImageStore

# docker accepts any unambiguous id prefix; shorter than this is too easy to mistype.
MIN_ID_PREFIX = 4
_ID_RE = re.compile(r"^(?:sha256:)?([a-f0-9]{%d,64})$" % MIN_ID_PREFIX)


@dataclass(frozen=True)
class Image:
    """One platform's image behind a name: its manifest and config, decoded."""

    record: ImageRecord | None
    manifest_desc: Descriptor
    manifest: Manifest
    config_bytes: bytes

    @property
    def config(self) -> ImageConfig:
        return ImageConfig.from_bytes(self.config_bytes)

    @property
    def image_id(self) -> str:
        return self.manifest.config.digest


class LocalImages:
    def __init__(self, blobs: ContentStore, store: ImageStore) -> None:
        self.blobs = blobs
        self.store = store

    @classmethod
    def open(cls, root=None) -> LocalImages:
        from pallet.content.local import LocalContentStore
        from pallet.state.db import connect
        from pallet.state.root import StateRoot

        root = (root or StateRoot.default()).ensure()
        return cls(LocalContentStore(root.content_dir), ImageStore(connect(root.db_path)))

    # ------------------------------------------------------------------ lookup --

    def lookup(self, text: str) -> list[ImageRecord]:
        """The records `text` names: one for a name; every name of the image for an id."""
        match = _ID_RE.match(text)
        if match and (text.startswith("sha256:") or not self.has_name(text)):
            records = self.store.by_image_id(match.group(1))
            ids = {r.image_id for r in records}
            if len(ids) > 1:
                raise UserError(f'image id prefix "{text}" is ambiguous', hint="give more digits of the id")
            if records:
                return records
        if text.startswith("sha256:"):
            raise NotFoundError(f"No such image: {text}")
        try:
            return [self.store.get(str(parse_tagged(text)))]
        except NotFoundError:
            raise NotFoundError(f"No such image: {text}") from None

    def has_name(self, text: str) -> bool:
        """Whether `text` is a reference the store has a name for."""
        try:
            self.store.get(str(parse_tagged(text)))
            return True
        except (NotFoundError, UserError):
            return False

    def resolve(self, text: str) -> ImageRecord:
        return self.lookup(text)[0]

    # ------------------------------------------------------------------ content --

    def image(self, record_or_target: ImageRecord | Descriptor, platform: Platform | None = None) -> Image:
        record, target = _record_and_target(record_or_target)
        desc = self.select_manifest(target, platform)
        manifest = Manifest.from_bytes(read_blob(self.blobs, desc.digest))
        return Image(record, desc, manifest, read_blob(self.blobs, manifest.config.digest))

    def select_manifest(self, target: Descriptor, platform: Platform | None = None) -> Descriptor:
        """The manifest for `platform` (default: the host's) under an index; `target` itself
        when it is a manifest."""
        for _ in range(8):
            if target.media_type not in INDEX_TYPES:
                return target
            index = Index.from_bytes(read_blob(self.blobs, target.digest))
            target = pick_platform(index.manifests, platform or host_platform())
        raise UserError("image index nesting is too deep")

    def default_image(self, record_or_target: ImageRecord | Descriptor) -> Image:
        """The host's image behind a name, else (an index of other platforms only, e.g. a
        `--platform linux/arm64,linux/arm/v7` build) its first manifest's, as the
        containerd image store shows such an index."""
        try:
            return self.image(record_or_target)
        except NotFoundError:
            record, target = _record_and_target(record_or_target)
            if target.media_type not in INDEX_TYPES:
                raise
            first = Index.from_bytes(read_blob(self.blobs, target.digest)).manifests[0]
            image = self.image(first.bare())
            return Image(record, image.manifest_desc, image.manifest, image.config_bytes)

    def content_size(self, image: Image) -> int:
        m = image.manifest
        return image.manifest_desc.size + m.config.size + sum(layer.size for layer in m.layers)

    # ------------------------------------------------------------------ naming --

    def tag(self, name: str, target: Descriptor, platform: Platform | None = None) -> ImageRecord:
        """Point the reference `name` at `target` (a manifest or index already stored)."""
        image = self.image(target, platform) if platform else self.default_image(target)
        ref = str(parse_tagged(name))
        return self.store.put(ref, target, image.image_id, self.content_size(image))

    def untag(self, name: str) -> ImageRecord:
        return self.store.delete(name)


def _record_and_target(record_or_target: ImageRecord | Descriptor) -> tuple[ImageRecord | None, Descriptor]:
    if isinstance(record_or_target, ImageRecord):
        return record_or_target, record_or_target.target
    return None, record_or_target


def pick_platform(manifests: list[Descriptor], want: Platform) -> Descriptor:
    """The manifest that runs best on `want`, in containerd's order (exact platform first,
    then the older variants it can also run, e.g. arm/v6 on arm/v7)."""
    from pallet.image.platform import compatible_platforms, normalize

    usable = [d for d in manifests if not (d.platform and d.platform.architecture == "unknown")]
    for candidate in compatible_platforms(normalize(want)):
        for d in usable:
            if d.platform and _same(normalize(d.platform), candidate):
                return d
    if len(usable) == 1 and usable[0].platform is None:
        return usable[0]
    have = ", ".join(str(d.platform) for d in usable if d.platform) or "none"
    raise NotFoundError(f"no image for platform {want} (the index has: {have})")


def _same(have: Platform, want: Platform) -> bool:
    """An index entry without a variant stands for the architecture's default one."""
    return (have.os, have.architecture) == (want.os, want.architecture) and (
        not have.variant or have.variant == want.variant)
