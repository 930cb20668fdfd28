"""Base images for FROM and COPY --from=<image>, from the local image store."""

from __future__ import annotations

from pallet.engine.convert import ResolvedImage
from pallet.errors import NotFoundError, UserError

MISSING_HINT = ("pallet builds from images in its local store: `pallet load -i ARCHIVE`, "
                "`pallet import ROOTFS.tar NAME`, or `pallet pull NAME`")


class LocalResolver:
    def __init__(self, blobs, db) -> None:
        from pallet.image.local import LocalImages
        from pallet.image.store import ImageStore

        self.images = LocalImages(blobs, ImageStore(db))

    def resolve(self, ref: str, platform: str | None) -> ResolvedImage:
        import json

        from pallet.image.platform import parse_platform
        from pallet.image.reference import parse_tagged

        try:
            name = str(parse_tagged(ref))
        except UserError as err:
            raise UserError(f'invalid reference format: "{ref}": {err.message}') from None
        try:
            record = self.images.store.get(name)
        except NotFoundError:
            raise UserError(f"failed to resolve source metadata for {name}: "
                            "image not found in the local store", hint=MISSING_HINT) from None
        image = self.images.image(record, parse_platform(platform) if platform else None)
        return ResolvedImage(name, image.manifest_desc.digest, json.loads(image.config_bytes))
