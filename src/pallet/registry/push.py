"""Push: a local image -> a registry repository, as `docker push` does.

Blobs go first, manifests after, the tag last (a registry refuses a manifest whose blobs it
lacks). Each blob takes the cheapest way up (distribution-spec "Pushing blobs"):

1. HEAD: the repository already has it -> "Layer already exists".
2. POST ?mount=<digest>&from=<repo>: another repository on the same registry has it (we
   know so because a local image name from that repository uses it) -> "Mounted from repo".
   A registry that cannot mount answers 202 with an upload session, which we then use.
3. Upload: monolithic (POST, then PUT ?digest= with the bytes) up to `chunk_size`, chunked
   above it (POST, PATCH each chunk with Content-Range, PUT ?digest= with no body).

An index is pushed whole when every manifest it lists is in the local store; an index
pulled for one platform only (see pull.py) pushes that platform's manifest under the tag,
as docker's classic store does.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from pallet.content.base import CHUNK, BlobReader, read_blob
from pallet.errors import NotFoundError, UserError
from pallet.image.descriptor import INDEX_TYPES, Descriptor
from pallet.image.digest import short_id
from pallet.image.local import LocalImages
from pallet.image.manifest import Index, Manifest
from pallet.image.platform import Platform
from pallet.image.reference import Reference, parse_reference, parse_tagged
from pallet.registry.client import RegistryClient
from pallet.registry.endpoints import endpoints_for
from pallet.registry.repository import Repository

MAX_UPLOADS = 5  # docker's default --max-concurrent-uploads
CHUNK_SIZE = 16 << 20  # blobs up to this go up in one PUT; bigger ones in PATCHes of this size

Report = Callable[[str], None]


@dataclass(frozen=True)
class PushResult:
    name: str
    digest: str
    size: int


def push_image(images: LocalImages, client: RegistryClient, text: str, *, platform: Platform | None = None,
               chunk_size: int = CHUNK_SIZE, report: Report = lambda line: None) -> PushResult:
    ref = parse_tagged(text)
    try:
        record = images.store.get(str(ref))
    except NotFoundError:
        raise UserError(f"An image does not exist locally with the tag: {ref.familiar_name()}",
                        hint=f"name a local image so with `pallet tag IMAGE {ref.familiar()}`") from None
    report(f"The push refers to repository [{ref.name}]")
    root, children = _plan(images, record.target, platform)
    sources = mount_sources(images, ref, {d.digest for _, m in children for d in [m.config, *m.layers]})
    repo = Repository(client, endpoints_for(ref, client.settings, for_push=True)[0], "pull,push",
                      also_pull=tuple(sorted({s for repos in sources.values() for s in repos})))
    for desc, manifest in children:
        _push_blobs(images.blobs, repo, manifest, sources, chunk_size, report)
        if desc is not root:
            repo.put_manifest(desc.digest, read_blob(images.blobs, desc.digest), desc.media_type)
    repo.put_manifest(ref.tag or root.digest, read_blob(images.blobs, root.digest), root.media_type)
    report(f"{ref.tag or ref.digest}: digest: {root.digest} size: {root.size}")
    return PushResult(str(ref), root.digest, root.size)


def _plan(images: LocalImages, target: Descriptor, platform: Platform | None):
    """(root descriptor to tag, [(manifest descriptor, Manifest)] whose blobs go up)."""
    if target.media_type not in INDEX_TYPES:
        return target, [(target, _manifest(images, target))]
    entries = Index.from_bytes(read_blob(images.blobs, target.digest)).manifests
    if all(images.blobs.has_blob(d.digest) for d in entries) and not any(d.media_type in INDEX_TYPES for d in entries):
        return target, [(d, _manifest(images, d)) for d in entries]
    only = images.select_manifest(target, platform)
    return only, [(only, _manifest(images, only))]


def _manifest(images: LocalImages, desc: Descriptor) -> Manifest:
    return Manifest.from_bytes(read_blob(images.blobs, desc.digest))


def mount_sources(images: LocalImages, ref: Reference, digests: set[str]) -> dict[str, list[str]]:
    """digest -> other repositories on ref's registry that local names say hold it."""
    found: dict[str, list[str]] = {}
    for record in images.store.list():
        other = parse_reference(record.name)
        if other.domain != ref.domain or other.path == ref.path:
            continue
        for digest in _blobs_under(images, record.target) & digests:
            found.setdefault(digest, []).append(other.path)
    return found


def _blobs_under(images: LocalImages, desc: Descriptor) -> set[str]:
    """Configs and layers of every manifest under `desc` that is in the local store."""
    if not images.blobs.has_blob(desc.digest):
        return set()
    if desc.media_type in INDEX_TYPES:
        index = Index.from_bytes(read_blob(images.blobs, desc.digest))
        return set().union(*(_blobs_under(images, d) for d in index.manifests))
    m = _manifest(images, desc)
    return {m.config.digest, *(layer.digest for layer in m.layers)}


def _push_blobs(blobs: BlobReader, repo: Repository, manifest: Manifest, sources: dict[str, list[str]],
                chunk_size: int, report: Report) -> None:
    for layer in manifest.layers:
        report(f"{short_id(layer.digest)}: Preparing")
    with ThreadPoolExecutor(max_workers=MAX_UPLOADS, thread_name_prefix="push") as pool:
        futures = [pool.submit(push_blob, blobs, repo, d, sources.get(d.digest, []), chunk_size)
                   for d in manifest.layers]
        for layer, future in zip(manifest.layers, futures):
            report(f"{short_id(layer.digest)}: {future.result()}")
    push_blob(blobs, repo, manifest.config, sources.get(manifest.config.digest, []), chunk_size)


def push_blob(blobs: BlobReader, repo: Repository, desc: Descriptor, sources: list[str], chunk_size: int) -> str:
    """Make the repository have `desc`; returns docker's word for how."""
    if repo.has_blob(desc.digest):
        return "Layer already exists"
    location = ""
    for source in sources:
        mounted, location = repo.start_upload(mount=desc.digest, source=source)
        if mounted:
            return f"Mounted from {source}"
        break  # the registry opened an upload instead: use it
    location = location or repo.start_upload()[1]
    if desc.size <= chunk_size:
        repo.finish_upload(location, desc.digest, lambda: _read(blobs, desc.digest), desc.size)
    else:
        with blobs.open_blob(desc.digest) as f:
            start = 0
            while chunk := f.read(chunk_size):
                location = repo.upload_chunk(location, chunk, start)
                start += len(chunk)
        repo.finish_upload(location, desc.digest)
    return "Pushed"


def _read(blobs: BlobReader, digest: str):
    """The blob as chunks, opened afresh for each try (a 401 retry re-sends the body)."""
    with blobs.open_blob(digest) as f:
        while chunk := f.read(CHUNK):
            yield chunk
