"""Where an exported cache lives: a registry repository or an OCI layout directory.

Both answer the same four questions, so import_.py and export.py do not care which:

    read()                 the cache manifest there: (bytes, media type), or None if there is none
    read_blob(desc)        a small blob (a config), verified
    fetch(blob, store)     one layer blob into the local content store (lazily, when a hit is used)
    write(manifest, ...)   blobs first, then the manifest under the tag (a reader never sees a
                           manifest whose blobs are missing)
"""

from __future__ import annotations

import json
from pathlib import Path

from pallet.content.base import copy_blob
from pallet.errors import ManifestUnknownError, RegistryError
from pallet.image.descriptor import ANNOTATION_REF_NAME, OCI_INDEX, Descriptor
from pallet.image.digest import digest_hex, sha256_digest


class RegistryCache:
    """A cache manifest at `ref` in a registry, through pallet.registry's client."""

    def __init__(self, ref: str, client, partial_dir: Path, *, push: bool = False) -> None:
        from pallet.image.reference import parse_tagged
        from pallet.registry.endpoints import endpoints_for
        from pallet.registry.repository import Repository

        self.ref = parse_tagged(ref)
        endpoint = endpoints_for(self.ref, client.settings, for_push=push)[0]
        self.repo = Repository(client, endpoint, "pull,push" if push else "pull")
        self.partial_dir = partial_dir

    def read(self, reference: str = "") -> tuple[bytes, str] | None:
        try:
            fetched = self.repo.get_manifest(reference or self.ref.digest or self.ref.tag, str(self.ref))
        except ManifestUnknownError:
            return None
        return fetched.data, fetched.descriptor.media_type

    def read_blob(self, desc: Descriptor) -> bytes:
        if desc.size > 64 << 20:
            raise RegistryError(f"cache config {desc.digest} is too large ({desc.size} bytes)")
        with self.repo.open_blob(desc.digest) as (_, chunks):
            data = b"".join(chunks)
        if sha256_digest(data) != desc.digest:
            raise RegistryError(f"blob {desc.digest} from {self.ref} does not match its digest",
                                hint="the registry (or a proxy) sent corrupt data")
        return data

    def fetch(self, blob, store) -> None:
        from pallet.registry.pull import fetch_blob

        fetch_blob(store, self.repo, Descriptor(blob.media_type, blob.digest, blob.size), self.partial_dir)

    def write(self, manifest, config: bytes, store, ensure_blob) -> str:
        """Push missing layer blobs (reading them locally only if the registry lacks them),
        the config, then the manifest under the tag."""
        from pallet.registry.push import CHUNK_SIZE, push_blob

        for desc in manifest.layers:
            if not self.repo.has_blob(desc.digest):
                ensure_blob(desc)
                push_blob(store, self.repo, desc, [], CHUNK_SIZE)
        if not self.repo.has_blob(manifest.config.digest):
            location = self.repo.start_upload()[1]
            self.repo.finish_upload(location, manifest.config.digest, config, len(config))
        data = manifest.to_bytes()
        self.repo.put_manifest(self.ref.tag or "latest", data, manifest.media_type)
        return sha256_digest(data)


class LocalCache:
    """A cache in an OCI image layout directory: index.json names the cache manifest by tag
    (`org.opencontainers.image.ref.name`), as BuildKit's local cache does."""

    def __init__(self, path: str, tag: str = "latest", digest: str = "") -> None:
        self.path = Path(path)
        self.tag = tag
        self.digest = digest

    def _blob_path(self, digest: str) -> Path:
        return self.path / "blobs" / "sha256" / digest_hex(digest)

    def _index(self) -> dict:
        try:
            doc = json.loads((self.path / "index.json").read_text())
        except FileNotFoundError:
            return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
        except ValueError as e:
            from pallet.engine.remotecache.config import CacheFormatError

            raise CacheFormatError(f"invalid {self.path / 'index.json'}: {e}") from None
        return doc if isinstance(doc, dict) and isinstance(doc.get("manifests"), list) else \
            {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}

    def _entry(self, manifests: list) -> dict | None:
        for entry in manifests:
            if not isinstance(entry, dict):
                continue
            if self.digest and entry.get("digest") == self.digest:
                return entry
            if not self.digest and (entry.get("annotations") or {}).get(ANNOTATION_REF_NAME) == self.tag:
                return entry
        return None

    def read(self) -> tuple[bytes, str] | None:
        entry = self._entry(self._index()["manifests"])
        if entry is None:
            return None
        desc = Descriptor.from_dict(entry)
        return self.read_blob(desc), desc.media_type

    def read_blob(self, desc: Descriptor) -> bytes:
        from pallet.errors import CorruptBlobError

        data = self._blob_path(desc.digest).read_bytes()
        actual = sha256_digest(data)
        if actual != desc.digest:
            raise CorruptBlobError(desc.digest, actual)
        return data

    def fetch(self, blob, store) -> None:
        with open(self._blob_path(blob.digest), "rb") as f:
            copy_blob(f, store, blob.digest, blob.size)

    def write(self, manifest, config: bytes, store, ensure_blob) -> str:
        from pallet.content.local import OCI_LAYOUT
        from pallet.exporter.layoutdir import LayoutDirWriter

        out = LayoutDirWriter(str(self.path))
        out.add_bytes("oci-layout", OCI_LAYOUT)
        for desc in manifest.layers:
            path = self._blob_path(desc.digest)
            if path.is_file() and path.stat().st_size == desc.size:
                continue  # content-addressed: already there from an earlier export
            ensure_blob(desc)
            with store.open_blob(desc.digest) as f:
                out.add(f"blobs/sha256/{digest_hex(desc.digest)}", f, desc.size)
        out.add_bytes(f"blobs/sha256/{digest_hex(manifest.config.digest)}", config)
        data = manifest.to_bytes()
        digest = sha256_digest(data)
        out.add_bytes(f"blobs/sha256/{digest_hex(digest)}", data)
        index = self._index()
        kept = [e for e in index["manifests"]
                if not (isinstance(e, dict) and (e.get("annotations") or {}).get(ANNOTATION_REF_NAME) == self.tag)]
        entry = Descriptor(manifest.media_type, digest, len(data), {ANNOTATION_REF_NAME: self.tag})
        index["manifests"] = [*kept, entry.to_dict()]
        out.add_bytes("index.json", json.dumps(index, separators=(",", ":")).encode())
        return digest

