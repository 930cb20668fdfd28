"""Base images for FROM and COPY --from=<image>: the local store, else pulled from a registry."""

from __future__ import annotations

from pallet.engine.convert import ResolvedImage
from pallet.errors import NotFoundError, RegistryError, UserError

MISSING_HINT = ("the image is not in pallet's local store and could not be pulled: get it "
                "with `pallet load -i ARCHIVE`, `pallet import ROOTFS.tar NAME` or `pallet pull NAME`")


class LocalResolver:
    def __init__(self, blobs, db, *, pull: bool = False, progress=None) -> None:
        from pallet.image.local import LocalImages
        from pallet.image.store import ImageStore

        self.images = LocalImages(blobs, ImageStore(db))
        self.pull = pull  # `build --pull`: ask the registry even when the store has the name
        self.progress = progress
        self._pulled: set[tuple[str, object]] = set()  # once per build, however many FROMs

    def resolve(self, ref: str, platform: str | None) -> ResolvedImage:
        import json

        from pallet.image.platform import parse_platform
        from pallet.image.reference import parse_tagged

        try:
            name = str(parse_tagged(ref))
        except UserError as err:
            raise UserError(f'invalid reference format: "{ref}": {err.message}') from None
        plat = parse_platform(platform) if platform else None
        if self.pull:
            self._pull(name, plat)
        try:
            image = self.images.image(self.images.store.get(name), plat)
        except NotFoundError:  # no such name, or its index lacks this platform's content
            self._pull(name, plat)
            image = self.images.image(self.images.store.get(name), plat)
        return ResolvedImage(name, image.manifest_desc.digest, json.loads(image.config_bytes))

    def _pull(self, name: str, plat) -> None:
        from pallet.registry.api import pull

        if (name, plat) in self._pulled:
            return
        self._pulled.add((name, plat))
        vertex = self.progress.vertex(f"[internal] load metadata for {name}") if self.progress else None
        report = (lambda line: self.progress.status(vertex, line)) if vertex else (lambda line: None)
        try:
            pull(name, platform=plat, images=self.images, report=report)
        except RegistryError as err:
            if vertex:
                self.progress.done(vertex, error=err.message)
            raise type(err)(f"failed to resolve source metadata for {name}: {err.message}",
                            hint=f"{MISSING_HINT}; the registry said: {err.hint}" if err.hint
                            else MISSING_HINT, code=err.code, status=err.status) from err
        if vertex:
            self.progress.done(vertex)
