"""`pallet.registry.pull(...)` / `push(...)`: the calls the CLI and the build engine use.

They open the state root's store and a RegistryClient for one command; pull.py and push.py
take those as arguments so tests can hand them a memory store or a fake transport.
"""

from __future__ import annotations

from pallet.image.local import LocalImages
from pallet.image.platform import Platform
from pallet.registry.client import RegistryClient
from pallet.registry.pull import PullResult, Report, pull_image
from pallet.registry.push import PushResult, push_image


def pull(name: str, *, platform: Platform | None = None, images: LocalImages | None = None,
         report: Report = lambda line: None) -> PullResult:
    from pallet.state.root import StateRoot

    images = images or LocalImages.open()
    # Partials live beside the store's own ingests: same filesystem, pruned alike.
    partial_dir = getattr(images.blobs, "ingest_dir", None) or StateRoot.default().ensure().tmp_dir
    with RegistryClient() as client:
        return pull_image(images, client, name, platform=platform, partial_dir=partial_dir, report=report)


def push(name: str, *, platform: Platform | None = None, images: LocalImages | None = None,
         report: Report = lambda line: None) -> PushResult:
    images = images or LocalImages.open()
    with RegistryClient() as client:
        return push_image(images, client, name, platform=platform, report=report)
