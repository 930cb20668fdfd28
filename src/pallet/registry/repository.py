"""The distribution API of one repository: manifests, blobs, uploads.

Thin calls over RegistryClient.send, one per endpoint of the spec
(distribution-spec spec.md "Endpoints": end-2 .. end-13). Manifests are verified here,
against the digest asked for or the Docker-Content-Digest header, because a manifest is the
root of trust of everything a pull stores.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlencode, urljoin

from pallet.errors import RegistryError
from pallet.image.descriptor import DOCKER_INDEX, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, Descriptor
from pallet.image.digest import is_digest, sha256_digest
from pallet.registry.auth import repository_scope
from pallet.registry.client import RegistryClient, raise_for_status
from pallet.registry.endpoints import Endpoint

MANIFEST_ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_INDEX, DOCKER_MANIFEST))
# Manifests are small; a registry sending more than this is broken or hostile.
MANIFEST_LIMIT = 4 << 20


@dataclass(frozen=True)
class FetchedManifest:
    data: bytes
    descriptor: Descriptor


class Repository:
    def __init__(self, client: RegistryClient, endpoint: Endpoint, actions: str = "pull",
                 also_pull: tuple[str, ...] = ()) -> None:
        self.client = client
        self.endpoint = endpoint
        # One scope set per command: one token covers the whole pull or push (and mounts).
        self.scopes = (repository_scope(endpoint.repository, actions),
                       *(repository_scope(r, "pull") for r in also_pull))

    @property
    def name(self) -> str:
        return f"{self.endpoint.host}/{self.endpoint.repository}"

    def _send(self, method: str, url: str, **kw):
        return self.client.send(self.endpoint, self.scopes, method, url, **kw)

    # ------------------------------------------------------------------ manifests --

    def get_manifest(self, reference: str, shown: str) -> FetchedManifest:
        """GET a manifest or index by tag or digest; `shown` names it in errors."""
        url = self.endpoint.manifest_url(reference)
        resp = self._send("GET", url, headers={"Accept": MANIFEST_ACCEPT})
        raise_for_status(resp, f"manifest for {shown} not found" if resp.status_code == 404 else f'Get "{url}"')
        data = resp.content
        if len(data) > MANIFEST_LIMIT:
            raise RegistryError(f"manifest for {shown} is larger than {MANIFEST_LIMIT} bytes")
        digest = sha256_digest(data)
        expected = reference if is_digest(reference) else resp.headers.get("docker-content-digest", "")
        if expected.startswith("sha256:") and expected != digest:
            raise RegistryError(f"manifest verification failed for digest {expected}: got {digest}",
                                hint="the registry (or something between it and pallet) sent a corrupt manifest")
        media_type = resp.headers.get("content-type", "").split(";", 1)[0].strip()
        return FetchedManifest(data, Descriptor(media_type or _sniff_media_type(data), digest, len(data)))

    def put_manifest(self, reference: str, data: bytes, media_type: str) -> str:
        url = self.endpoint.manifest_url(reference)
        resp = self._send("PUT", url, headers={"Content-Type": media_type}, content=data)
        raise_for_status(resp, f'Put "{url}"')
        return resp.headers.get("docker-content-digest") or sha256_digest(data)

    # ------------------------------------------------------------------ blobs --

    def has_blob(self, digest: str) -> bool:
        url = self.endpoint.blob_url(digest)
        resp = self._send("HEAD", url)
        if resp.status_code == 404:
            return False
        raise_for_status(resp, f'Head "{url}"')
        return True

    @contextlib.contextmanager
    def open_blob(self, digest: str, offset: int = 0) -> Iterator[tuple[int, Iterator[bytes]]]:
        """Stream a blob from `offset`; yields (the offset the body really starts at, chunks).

        A registry may ignore Range and send the whole blob (status 200): the caller must
        then start again from 0, which the returned offset tells it.
        """
        url = self.endpoint.blob_url(digest)
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        resp = self._send("GET", url, headers=headers, stream=True)
        try:
            raise_for_status(resp, f"failed to fetch blob {digest}")
            start = offset if resp.status_code == 206 else 0
            yield start, self._chunks(resp, url)
        finally:
            resp.close()

    def _chunks(self, resp, url: str) -> Iterator[bytes]:
        with self.client.body_errors("GET", url):
            # No chunk_size: httpx would hold bytes back to fill a chunk, and lose them
            # when the connection drops; we want every byte received on disk to resume from.
            yield from resp.iter_bytes()

    # ------------------------------------------------------------------ uploads --

    def start_upload(self, mount: str = "", source: str = "") -> tuple[bool, str]:
        """POST /blobs/uploads/: (True, "") when a cross-repository mount succeeded (201),
        else (False, upload location)."""
        url = self.endpoint.uploads_url()
        if mount:
            url += "?" + urlencode({"mount": mount, "from": source})
        resp = self._send("POST", url, content=b"")
        raise_for_status(resp, f'Post "{url}"')
        if resp.status_code == 201 and mount:
            return True, ""
        location = resp.headers.get("location")
        if resp.status_code != 202 or not location:
            raise RegistryError(f'Post "{url}": expected 202 with a Location, got {resp.status_code}')
        return False, urljoin(url, location)

    def upload_chunk(self, location: str, data: bytes, start: int) -> str:
        """PATCH one chunk (spec: "Pushing a blob in chunks"); returns the next location."""
        headers = {"Content-Type": "application/octet-stream",
                   "Content-Range": f"{start}-{start + len(data) - 1}"}
        resp = self._send("PATCH", location, headers=headers, content=data)
        raise_for_status(resp, f'Patch "{location}"')
        return urljoin(location, resp.headers.get("location") or location)

    def finish_upload(self, location: str, digest: str, body=b"", size: int = 0) -> None:
        """PUT <location>?digest=: with the whole blob (monolithic) or nothing (chunked)."""
        sep = "&" if "?" in location else "?"
        url = f"{location}{sep}{urlencode({'digest': digest})}"
        headers = {"Content-Type": "application/octet-stream"}
        if not isinstance(body, (bytes, bytearray)):
            headers["Content-Length"] = str(size)  # else httpx would send it chunked
        resp = self._send("PUT", url, headers=headers, content=body)
        raise_for_status(resp, f"failed to push blob {digest}")


def _sniff_media_type(data: bytes) -> str:
    """For registries that send no Content-Type: the manifest's own mediaType field."""
    import json

    try:
        doc = json.loads(data)
        return doc.get("mediaType") or (OCI_INDEX if "manifests" in doc else OCI_MANIFEST)
    except (ValueError, AttributeError):
        return OCI_MANIFEST
