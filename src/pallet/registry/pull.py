"""Pull: registry manifest -> the local store, named, as `docker pull` does.

Order matters for "nothing half-written": blobs first (layers in parallel, each verified by
the content store on commit), then the manifest blobs, and the name last. A pull that fails
anywhere leaves at most `.partial` files in `ingest/` (to resume from) and complete, verified
blobs that nothing names yet (garbage collection owns those), never a name pointing at
missing content.

Like containerd, an index is stored as the index, and the name points at it; only the
manifest for the requested platform (default: the host's) and its blobs are fetched.
`LocalImages.image(record, platform)` picks the same manifest back out.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from pallet.content.base import write_blob
from pallet.errors import (
    AuthError,
    CorruptBlobError,
    ManifestUnknownError,
    NotFoundError,
    RegistryError,
    RegistryUnreachableError,
    TransferInterruptedError,
)
from pallet.image.descriptor import INDEX_TYPES, Descriptor
from pallet.image.digest import short_id
from pallet.image.local import LocalImages, pick_platform
from pallet.image.manifest import Index, Manifest
from pallet.image.platform import Platform, host_platform
from pallet.image.reference import Reference, parse_tagged
from pallet.registry.client import RegistryClient
from pallet.registry.endpoints import endpoints_for
from pallet.registry.partial import PartialBlob
from pallet.registry.repository import Repository

# docker's default --max-concurrent-downloads.
MAX_DOWNLOADS = 3
# Range-resumes of one blob within one pull before giving up (a later pull resumes again).
MAX_RESUMES = 3

Report = Callable[[str], None]


@dataclass(frozen=True)
class PullResult:
    name: str  # normalised: docker.io/library/busybox:latest
    target: Descriptor  # what the name points at (index or manifest)
    manifest: Descriptor  # the platform manifest
    updated: bool  # False: the name already pointed at this target


def pull_image(images: LocalImages, client: RegistryClient, text: str, *, platform: Platform | None = None,
               partial_dir: Path, report: Report = lambda line: None) -> PullResult:
    ref = parse_tagged(text)
    repo, root = _fetch_root(client, ref)
    want = platform or host_platform()
    manifest_desc, manifest_data, extra = _platform_manifest(repo, ref, root, want)
    manifest = Manifest.from_bytes(manifest_data)
    report(f"{ref.tag or ref.digest}: Pulling from {ref.path}")
    _fetch_blobs(images, repo, manifest, partial_dir, report)
    for data, desc in [*extra, (manifest_data, manifest_desc), (root.data, root.descriptor)]:
        write_blob(images.blobs, data, desc.digest)
    return _name(images, ref, root.descriptor, manifest_desc, want, report)


def _fetch_root(client: RegistryClient, ref: Reference):
    """The manifest the reference names, from the first endpoint (mirror or registry) that has it."""
    last: RegistryError | None = None
    for endpoint in endpoints_for(ref, client.settings):
        repo = Repository(client, endpoint)
        try:
            return repo, repo.get_manifest(ref.digest or ref.tag, str(ref))
        except (RegistryUnreachableError, ManifestUnknownError, AuthError) as err:
            if not endpoint.mirror:
                raise
            last = err  # dockerd falls back from a mirror to the registry on any error
    raise last or RegistryError(f"no registry to pull {ref} from")


def _platform_manifest(repo: Repository, ref: Reference, root, want: Platform):
    """Walk index -> manifest for `want`; returns it and the nested indexes to store too."""
    fetched, extra = root, []
    for _ in range(4):
        if fetched.descriptor.media_type not in INDEX_TYPES:
            return fetched.descriptor, fetched.data, extra
        if fetched is not root:
            extra.append((fetched.data, fetched.descriptor))
        try:
            child = pick_platform(Index.from_bytes(fetched.data).manifests, want)
        except NotFoundError as err:
            raise ManifestUnknownError(f"no matching manifest for {want} in the manifest list entries ({ref})",
                                       hint="pick one the image has with --platform; "
                                            f"{err.message.split('(', 1)[-1].rstrip(')')}") from None
        fetched = repo.get_manifest(child.digest, f"{ref.name}@{child.digest}")
        if fetched.descriptor.size != child.size:
            raise RegistryError(f"manifest {child.digest}: size {fetched.descriptor.size} does not match "
                                f"the index's {child.size}")
    raise RegistryError(f"image index nesting is too deep in {ref}")


def _fetch_blobs(images: LocalImages, repo: Repository, manifest: Manifest, partial_dir: Path,
                 report: Report) -> None:
    """Config and layers; docker's per-layer lines; the first failure stops the pull."""
    layers = manifest.layers
    wanted = [d for d in [manifest.config, *layers] if not images.blobs.has_blob(d.digest)]
    for layer in layers:
        report(f"{short_id(layer.digest)}: {'Pulling fs layer' if layer in wanted else 'Already exists'}")
    with ThreadPoolExecutor(max_workers=MAX_DOWNLOADS, thread_name_prefix="pull") as pool:
        futures = {pool.submit(fetch_blob, images.blobs, repo, d, partial_dir): d for d in wanted}
        try:
            for future in as_completed(futures):
                future.result()
                if futures[future] is not manifest.config:
                    report(f"{short_id(futures[future].digest)}: Download complete")
        except BaseException:
            for f in futures:
                f.cancel()  # queued downloads need not start; running ones finish or fail
            raise
    for layer in layers:
        if layer in wanted:
            report(f"{short_id(layer.digest)}: Pull complete")


def fetch_blob(blobs, repo: Repository, desc: Descriptor, partial_dir: Path) -> None:
    """Download one blob into the store, resuming with Range after a dropped connection."""
    with PartialBlob(partial_dir, desc.digest, desc.size) as part:
        if blobs.has_blob(desc.digest):
            return  # another pull finished it while we waited for the lock
        for attempt in range(MAX_RESUMES + 1):
            try:
                _download(repo, part)
                break
            except TransferInterruptedError:
                if attempt == MAX_RESUMES:
                    raise
        try:
            part.commit(blobs)
        except CorruptBlobError as err:
            raise RegistryError(f"filesystem layer verification failed for digest {desc.digest}: got {err.got}",
                                hint="the registry sent corrupt data; pull again, or check any mirror or proxy") from None


def _download(repo: Repository, part: PartialBlob) -> None:
    if part.complete:
        return
    with repo.open_blob(part.digest, part.offset) as (start, chunks):
        if start == 0 and part.offset:
            part.restart()
        for chunk in chunks:
            part.write(chunk)
    if not part.complete:
        raise TransferInterruptedError(f"failed to fetch blob {part.digest}: unexpected EOF after "
                                       f"{part.offset} of {part.size} bytes")


def _name(images: LocalImages, ref: Reference, target: Descriptor, manifest: Descriptor, want: Platform,
          report: Report) -> PullResult:
    name = str(ref)
    try:
        old = images.store.get(name).target.digest
    except NotFoundError:
        old = ""
    images.tag(name, target, want)
    report(f"Digest: {target.digest}")
    updated = old != target.digest
    status = "Downloaded newer image for" if updated else "Image is up to date for"
    report(f"Status: {status} {ref.familiar()}")
    return PullResult(name, target, manifest, updated)
