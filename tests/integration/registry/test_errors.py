"""Bad input and bad registries: each a clear error, fast, and nothing half-written."""

from __future__ import annotations

import hashlib
import json
import time

from pallet.image.descriptor import OCI_CONFIG, OCI_LAYER_GZIP, OCI_MANIFEST, Descriptor
from pallet.image.manifest import Manifest

from .conftest import make_image, partials, store_state
from .servers import free_port

CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def serve_image(fake, layer: bytes, *, layer_route=None, manifest_digest_header: str | None = None):
    """Publish a one-layer image as fake/app:v1; returns the manifest bytes."""
    manifest = Manifest(Descriptor(OCI_CONFIG, digest(CONFIG), len(CONFIG)),
                        [Descriptor(OCI_LAYER_GZIP, digest(layer), len(layer))]).to_bytes()
    headers = {"Content-Type": OCI_MANIFEST,
               "Docker-Content-Digest": manifest_digest_header or digest(manifest)}
    fake.routes["/v2/app/manifests/v1"] = (200, headers, manifest)
    fake.routes[f"/v2/app/blobs/{digest(CONFIG)}"] = (200, {}, CONFIG)
    fake.routes[f"/v2/app/blobs/{digest(layer)}"] = layer_route or (200, {}, layer)
    return manifest


def test_unknown_image(registry, pallet):
    before = store_state()
    code, out, err = pallet("pull", f"{registry.host}/nothing-here:v9", ok=False)
    assert code == 1
    assert err.startswith(f"error: manifest for {registry.host}/nothing-here:v9 not found: manifest unknown: ")
    assert "hint:" in err and "Traceback" not in err
    assert store_state() == before


def test_push_of_an_image_that_is_not_local(registry, pallet):
    code, _, err = pallet("push", f"{registry.host}/ghost:v1", ok=False)
    assert code == 1
    assert err.startswith(f"error: An image does not exist locally with the tag: {registry.host}/ghost")


def test_registry_down_fails_fast(pallet):
    port = free_port()  # nothing listens there
    start = time.monotonic()
    code, _, err = pallet("pull", f"127.0.0.1:{port}/app:v1", ok=False)
    assert time.monotonic() - start < 3
    assert code == 1
    assert f'error: Get "http://127.0.0.1:{port}/v2/app/manifests/v1": dial tcp 127.0.0.1:{port}: connect: connection refused' in err
    assert f"hint: is a registry listening on 127.0.0.1:{port}?" in err
    assert store_state() == (set(), set())


def test_manifest_digest_mismatch(fake_registry, pallet):
    serve_image(fake_registry, b"layer", manifest_digest_header="sha256:" + "0" * 64)
    code, _, err = pallet("pull", f"{fake_registry.host}/app:v1", ok=False)
    assert code == 1
    assert f"error: manifest verification failed for digest sha256:{'0' * 64}: got sha256:" in err
    assert store_state() == (set(), set())


def test_pull_by_digest_checks_the_body(fake_registry, pallet):
    manifest = serve_image(fake_registry, b"layer")
    wanted = "sha256:" + "1" * 64
    fake_registry.routes[f"/v2/app/manifests/{wanted}"] = (200, {"Content-Type": OCI_MANIFEST}, manifest)
    code, _, err = pallet("pull", f"{fake_registry.host}/app@{wanted}", ok=False)
    assert code == 1 and f"manifest verification failed for digest {wanted}" in err
    assert store_state() == (set(), set())


def truncating(body: bytes, times: list[int]):
    """A blob route that promises the whole body, sends half, and hangs up (`times[0]` times);
    then answers Range requests properly."""

    def handle(req):
        first = int(req.headers.get("Range", "bytes=0-")[6:].rstrip("-") or 0)
        if times[0] > 0:
            times[0] -= 1
            req.send_response(200 if first == 0 else 206)
            req.send_header("Content-Length", str(len(body) - first))
            req.end_headers()
            req.wfile.write(body[first:first + (len(body) - first) // 2])
            req.wfile.flush()
            req.close_connection = True
            return
        req.send_response(206 if first else 200)
        if first:
            req.send_header("Content-Range", f"bytes {first}-{len(body) - 1}/{len(body)}")
        req.send_header("Content-Length", str(len(body) - first))
        req.end_headers()
        req.wfile.write(body[first:])

    return handle


def test_truncated_blob_is_an_error_and_leaves_no_blob(fake_registry, pallet):
    layer = b"L" * 100_000
    serve_image(fake_registry, layer, layer_route=truncating(layer, [1000]))
    code, _, err = pallet("pull", f"{fake_registry.host}/app:v1", ok=False)
    assert code == 1
    assert "unexpected EOF" in err and "hint:" in err and "Traceback" not in err
    blobs, names = store_state()
    assert digest(layer) not in blobs and names == set()
    assert partials() == [digest(layer)[7:] + ".partial"]  # kept, so the next pull resumes


def test_interrupted_download_resumes_with_range(fake_registry, pallet):
    layer = bytes(range(256)) * 400
    serve_image(fake_registry, layer, layer_route=truncating(layer, [2]))
    pallet("pull", f"{fake_registry.host}/app:v1")
    ranges = [h.get("Range") for m, p, h in fake_registry.requests if p.endswith(digest(layer))]
    half = len(layer) // 2
    assert ranges == [None, f"bytes={half}-", f"bytes={half + (len(layer) - half) // 2}-"]
    blobs, names = store_state()
    assert digest(layer) in blobs and names == {f"{fake_registry.host}/app:v1"}
    assert partials() == []


def test_a_later_pull_resumes_a_partial_download(fake_registry, pallet):
    layer = b"R" * 10_000
    serve_image(fake_registry, layer, layer_route=truncating(layer, [4]))
    pallet("pull", f"{fake_registry.host}/app:v1", ok=False)
    pallet("pull", f"{fake_registry.host}/app:v1")
    ranges = [h.get("Range") for m, p, h in fake_registry.requests if p.endswith(digest(layer))]
    assert ranges[4].startswith("bytes=") and int(ranges[4][6:-1]) > 9000


def test_corrupt_blob_is_refused_and_its_partial_dropped(fake_registry, pallet):
    layer = b"the real layer"
    serve_image(fake_registry, layer, layer_route=(200, {}, b"another layer!"))  # same length, other bytes
    code, _, err = pallet("pull", f"{fake_registry.host}/app:v1", ok=False)
    assert code == 1
    assert f"error: filesystem layer verification failed for digest {digest(layer)}" in err
    assert store_state()[1] == set() and digest(layer) not in store_state()[0]
    assert partials() == []


def test_a_plain_manifest_is_taken_for_any_platform(registry, pallet):
    make_image(f"{registry.host}/onlyamd:v1", platform="linux/amd64")
    pallet("push", f"{registry.host}/onlyamd:v1")
    code, _, err = pallet("pull", "--platform", "linux/s390x", f"{registry.host}/onlyamd:v1", ok=False)
    # A plain manifest (no index) is taken whatever its platform, as docker does for v2
    # manifests; an index without the platform is an error (see the unit tests).
    assert code == 0, err
