"""The httpx boundary (client.py) and pull's logic, against httpx.MockTransport: no sockets."""

from __future__ import annotations

import hashlib
import json

import httpx
import pytest

from pallet.content.memory import MemoryContentStore
from pallet.errors import (
    AuthError,
    ManifestUnknownError,
    RegistryError,
    RegistryUnreachableError,
    TransferInterruptedError,
)
from pallet.image.descriptor import OCI_CONFIG, OCI_INDEX, OCI_LAYER_GZIP, OCI_MANIFEST, Descriptor
from pallet.image.local import LocalImages
from pallet.image.manifest import Index, Manifest
from pallet.image.platform import Platform
from pallet.image.store import ImageStore
from pallet.registry.client import RegistryClient, map_errors, raise_for_status
from pallet.registry.credentials import Credentials
from pallet.registry.pull import pull_image
from pallet.registry.settings import RegistrySettings
from pallet.state.db import connect

URL = "http://reg:5000/v2/app/manifests/v1"
MAPPED = [
    (httpx.ConnectError("[Errno 111] Connection refused"), RegistryUnreachableError,
     'Get "http://reg:5000/v2/app/manifests/v1": dial tcp reg:5000: connect: connection refused'),
    (httpx.ConnectTimeout("timed out"), RegistryUnreachableError, "dial tcp reg:5000: i/o timeout"),
    (httpx.ReadTimeout("timed out"), TransferInterruptedError, "read timeout"),
    (httpx.RemoteProtocolError("peer closed connection"), TransferInterruptedError, "unexpected EOF"),
    (httpx.TooManyRedirects("loop"), RegistryError, "loop"),
]


@pytest.mark.parametrize("exc,cls,text", MAPPED, ids=[type(m[0]).__name__ for m in MAPPED])
def test_httpx_errors_are_mapped_at_the_boundary(exc, cls, text):
    with pytest.raises(cls) as info, map_errors("GET", URL):
        raise exc
    assert type(info.value) is cls and text in info.value.message
    assert info.value.__cause__ is exc


def response(status, body=b"", url=URL, **headers):
    return httpx.Response(status, content=body, headers=headers, request=httpx.Request("GET", url))


def errors_body(code, message):
    return json.dumps({"errors": [{"code": code, "message": message}]}).encode()


def test_status_errors_use_dockers_wording():
    with pytest.raises(ManifestUnknownError, match="^manifest for x not found: manifest unknown: manifest unknown$"):
        raise_for_status(response(404, errors_body("MANIFEST_UNKNOWN", "manifest unknown")), "manifest for x not found")
    with pytest.raises(AuthError, match="^unauthorized: authentication required$"):
        raise_for_status(response(401, errors_body("UNAUTHORIZED", "authentication required")), "x")
    with pytest.raises(AuthError, match="^denied: requested access to the resource is denied$"):
        raise_for_status(response(403, errors_body("DENIED", "requested access to the resource is denied")), "x")
    with pytest.raises(RegistryError, match="^Put x: unexpected status 500 Internal Server Error$"):
        raise_for_status(response(500), "Put x")
    raise_for_status(response(202), "fine")


# ------------------------------------------------------------------ a fake registry --

def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_blobs(arch: str) -> dict[str, bytes]:
    config = json.dumps({"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layer = f"layer for {arch}".encode()
    manifest = Manifest(Descriptor(OCI_CONFIG, digest(config), len(config)),
                        [Descriptor(OCI_LAYER_GZIP, digest(layer), len(layer))]).to_bytes()
    return {"manifest": manifest, "config": config, "layer": layer}


class Fake:
    """A registry as a MockTransport handler; bearer auth when `token` is set."""

    def __init__(self, token: str = ""):
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[str, tuple[str, bytes]] = {}
        self.token = token
        self.seen: list[httpx.Request] = []

    def add_index(self, tag: str, arches: list[str]) -> bytes:
        entries = []
        for arch in arches:
            parts = image_blobs(arch)
            self.blobs.update({digest(parts[k]): parts[k] for k in ("config", "layer")})
            self.manifests[digest(parts["manifest"])] = (OCI_MANIFEST, parts["manifest"])
            entries.append(Descriptor(OCI_MANIFEST, digest(parts["manifest"]), len(parts["manifest"]),
                                      platform=Platform("linux", arch)))
        index = Index(entries).to_bytes()
        self.manifests[tag] = (OCI_INDEX, index)
        return index

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        if request.url.path == "/token":
            return httpx.Response(200, json={"token": self.token})
        if self.token and request.headers.get("authorization") != f"Bearer {self.token}":
            return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer realm="http://reg:5000/token",service="reg"'},
                                  content=errors_body("UNAUTHORIZED", "authentication required"))
        kind, _, ref = request.url.path.split("/v2/app/", 1)[-1].partition("/")
        if kind == "manifests" and ref in self.manifests:
            media_type, body = self.manifests[ref]
            return httpx.Response(200, content=body, headers={"Content-Type": media_type})
        if kind == "blobs" and ref in self.blobs:
            return httpx.Response(200, content=self.blobs[ref])
        return httpx.Response(404, content=errors_body("MANIFEST_UNKNOWN" if kind == "manifests" else "BLOB_UNKNOWN",
                                                       "unknown"))


@pytest.fixture
def images(tmp_path):
    return LocalImages(MemoryContentStore(), ImageStore(connect(tmp_path / "db")))


def client_for(handler, **kw) -> RegistryClient:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return RegistryClient(RegistrySettings(insecure=("reg:5000",)), http=http,
                          credentials=kw.get("credentials", {"reg:5000": Credentials()}))


def test_pull_picks_the_platform_from_an_index(images, tmp_path):
    fake = Fake()
    index = fake.add_index("v1", ["amd64", "arm64"])
    lines = []
    result = pull_image(images, client_for(fake), "reg:5000/app:v1", platform=Platform("linux", "arm64"),
                        partial_dir=tmp_path, report=lines.append)
    arm = image_blobs("arm64")
    assert result.target.digest == digest(index) and result.manifest.digest == digest(arm["manifest"])
    assert images.blobs.has_blob(digest(arm["layer"])) and not images.blobs.has_blob(digest(image_blobs("amd64")["layer"]))
    short = digest(arm["layer"])[7:19]
    assert lines == ["v1: Pulling from app", f"{short}: Pulling fs layer", f"{short}: Download complete",
                     f"{short}: Pull complete", f"Digest: {digest(index)}",
                     "Status: Downloaded newer image for reg:5000/app:v1"]


def test_pull_of_a_platform_the_index_lacks(images, tmp_path):
    fake = Fake()
    fake.add_index("v1", ["amd64"])
    with pytest.raises(ManifestUnknownError, match="no matching manifest for linux/s390x in the manifest list entries"):
        pull_image(images, client_for(fake), "reg:5000/app:v1", platform=Platform("linux", "s390x"), partial_dir=tmp_path)
    assert list(images.blobs.list_blobs()) == [] and images.store.list() == []


def test_bearer_challenge_then_token_then_retry(images, tmp_path):
    fake = Fake(token="t0k")
    fake.add_index("v1", ["amd64"])
    pull_image(images, client_for(fake), "reg:5000/app:v1", platform=Platform("linux", "amd64"), partial_dir=tmp_path)
    tokens = [r for r in fake.seen if r.url.path == "/token"]
    assert len(tokens) == 1
    assert tokens[0].url.params.get_list("scope") == ["repository:app:pull"]


def test_a_missing_blob_leaves_no_name(images, tmp_path):
    fake = Fake()
    fake.add_index("v1", ["amd64"])
    fake.blobs.pop(digest(image_blobs("amd64")["layer"]))
    with pytest.raises(RegistryError, match="failed to fetch blob"):
        pull_image(images, client_for(fake), "reg:5000/app:v1", platform=Platform("linux", "amd64"), partial_dir=tmp_path)
    assert images.store.list() == []


def test_mirror_failure_falls_back_to_docker_hub(images, tmp_path):
    fake = Fake()
    fake.add_index("v1", ["amd64"])

    hosts = []

    def handler(request):
        hosts.append(request.url.host)
        if request.url.host == "mirror":
            raise httpx.ConnectError("[Errno 111] Connection refused")
        path = request.url.path.replace("/v2/library/app/", "/v2/app/")
        return fake(httpx.Request(request.method, f"http://reg:5000{path}", headers=request.headers))

    http = httpx.Client(transport=httpx.MockTransport(handler))
    client = RegistryClient(RegistrySettings(mirrors=("http://mirror:1",)), http=http,
                            credentials={"https://index.docker.io/v1/": Credentials(), "mirror:1": Credentials()})
    result = pull_image(images, client, "app:v1", platform=Platform("linux", "amd64"), partial_dir=tmp_path)
    assert result.name == "docker.io/library/app:v1"
    assert hosts[:2] == ["mirror", "registry-1.docker.io"]
