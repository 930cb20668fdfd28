"""pallet against Debian's docker-registry, checked with skopeo: push, pull, indexes,
chunked uploads, cross-repository mounts, and docker's output lines."""

from __future__ import annotations

import json
import subprocess

from .conftest import make_image, open_images, store_state
from .servers import need_tool


def skopeo_inspect(host: str, name: str, raw: bool = False) -> dict:
    tool = need_tool("skopeo", "skopeo")
    argv = [tool, "inspect", "--tls-verify=false", *(["--raw"] if raw else []), f"docker://{host}/{name}"]
    return json.loads(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)


def wipe_root(env):
    """Forget every local image and blob, as a fresh machine would."""
    import shutil

    shutil.rmtree(env / "root")


def test_push_then_skopeo_reads_it(registry, pallet):
    desc = make_image(f"{registry.host}/demo:v1")
    code, out, err = pallet("push", f"{registry.host}/demo:v1")
    lines = out.splitlines()
    assert lines[0] == f"The push refers to repository [{registry.host}/demo]"
    assert any(line.endswith(": Preparing") for line in lines)
    assert any(line.endswith(": Pushed") for line in lines)
    assert lines[-1] == f"v1: digest: {desc.digest} size: {desc.size}"
    info = skopeo_inspect(registry.host, "demo:v1")
    assert info["Digest"] == desc.digest
    manifest = open_images().image(desc).manifest
    assert info["Layers"] == [layer.digest for layer in manifest.layers]


def test_second_push_skips_existing_blobs(registry, pallet):
    make_image(f"{registry.host}/again:v1")
    pallet("push", f"{registry.host}/again:v1")
    _, out, _ = pallet("push", f"{registry.host}/again:v1")
    assert "Layer already exists" in out and "Pushed" not in out


def test_push_to_another_repository_mounts_blobs(registry, pallet):
    desc = make_image(f"{registry.host}/source:v1", {"big": b"m" * 5000})
    pallet("push", f"{registry.host}/source:v1")
    pallet("tag", f"{registry.host}/source:v1", f"{registry.host}/copy:v1")
    _, out, _ = pallet("push", f"{registry.host}/copy:v1")
    assert "Mounted from source" in out, out
    assert skopeo_inspect(registry.host, "copy:v1")["Digest"] == desc.digest


def test_pull_what_pallet_pushed_into_a_fresh_store(registry, pallet, env):
    desc = make_image(f"{registry.host}/roundtrip:v1", {"a": b"1", "b/c": b"2"})
    pallet("push", f"{registry.host}/roundtrip:v1")
    wipe_root(env)
    _, out, _ = pallet("pull", f"{registry.host}/roundtrip:v1")
    lines = out.splitlines()
    assert lines[0] == "v1: Pulling from roundtrip"
    assert any(line.endswith(": Pulling fs layer") for line in lines)
    assert any(line.endswith(": Pull complete") for line in lines)
    assert f"Digest: {desc.digest}" in lines
    assert f"Status: Downloaded newer image for {registry.host}/roundtrip:v1" in lines
    assert lines[-1] == f"{registry.host}/roundtrip:v1"
    record = open_images().store.get(f"{registry.host}/roundtrip:v1")
    assert record.target.digest == desc.digest
    _, out, _ = pallet("pull", f"{registry.host}/roundtrip:v1")
    assert f"Status: Image is up to date for {registry.host}/roundtrip:v1" in out
    assert "Already exists" in out


def test_pull_by_digest(registry, pallet, env):
    desc = make_image(f"{registry.host}/bydigest:v1")
    pallet("push", f"{registry.host}/bydigest:v1")
    wipe_root(env)
    _, out, _ = pallet("pull", f"{registry.host}/bydigest@{desc.digest}")
    assert out.splitlines()[0] == f"{desc.digest}: Pulling from bydigest"
    assert open_images().store.get(f"{registry.host}/bydigest@{desc.digest}").target.digest == desc.digest


def test_pull_what_skopeo_pushed(registry, pallet, env, tmp_path):
    """skopeo copies an OCI archive pallet saved into the registry; pallet pulls it back."""
    desc = make_image("skopeo-src:v1", {"from-skopeo": b"yes"})
    archive = tmp_path / "img.tar"
    pallet("save", "--format", "oci", "-o", str(archive), "skopeo-src:v1")
    tool = need_tool("skopeo", "skopeo")
    subprocess.run([tool, "copy", "--dest-tls-verify=false", f"oci-archive:{archive}",
                    f"docker://{registry.host}/byskopeo:v2"], check=True, capture_output=True)
    pushed = skopeo_inspect(registry.host, "byskopeo:v2")["Digest"]
    config_id = open_images().image(desc).image_id
    wipe_root(env)
    pallet("pull", f"{registry.host}/byskopeo:v2")
    image = open_images().image(open_images().store.get(f"{registry.host}/byskopeo:v2"))
    assert image.manifest_desc.digest == pushed
    assert image.image_id == config_id  # skopeo keeps the config, so the image id survives


def test_multi_platform_index_push_and_platform_pull(registry, pallet, env):
    from pallet.content.base import write_blob
    from pallet.image.descriptor import OCI_INDEX, Descriptor
    from pallet.image.manifest import Index
    from pallet.image.platform import parse_platform

    amd = make_image("", {"arch": b"amd64"}, platform="linux/amd64")
    arm = make_image("", {"arch": b"arm64"}, platform="linux/arm64")
    entries = [Descriptor(d.media_type, d.digest, d.size, platform=parse_platform(p))
               for d, p in ((amd, "linux/amd64"), (arm, "linux/arm64"))]
    images = open_images()
    info = write_blob(images.blobs, Index(entries).to_bytes())
    index = Descriptor(OCI_INDEX, info.digest, info.size)
    images.tag(f"{registry.host}/multi:v1", index, parse_platform("linux/amd64"))
    _, out, _ = pallet("push", f"{registry.host}/multi:v1")
    assert out.splitlines()[-1] == f"v1: digest: {index.digest} size: {index.size}"
    raw = skopeo_inspect(registry.host, "multi:v1", raw=True)
    assert [m["digest"] for m in raw["manifests"]] == [amd.digest, arm.digest]
    wipe_root(env)
    before = len(store_state()[0])
    pallet("pull", "--platform", "linux/arm64", f"{registry.host}/multi:v1")
    images = open_images()
    record = images.store.get(f"{registry.host}/multi:v1")
    assert record.target.digest == index.digest
    picked = images.image(record, parse_platform("linux/arm64"))
    assert picked.manifest_desc.digest == arm.digest
    assert not images.blobs.has_blob(amd.digest)  # only the asked-for platform is fetched
    assert len(store_state()[0]) - before == 4  # index, manifest, config, layer


def test_chunked_upload(registry, env):
    from pallet.registry.client import RegistryClient
    from pallet.registry.push import push_image

    desc = make_image(f"{registry.host}/chunked:v1", {"blob": bytes(range(256)) * 300})
    lines: list[str] = []
    with RegistryClient() as client:
        push_image(open_images(), client, f"{registry.host}/chunked:v1", chunk_size=1000, report=lines.append)
    assert any(line.endswith(": Pushed") for line in lines)
    assert skopeo_inspect(registry.host, "chunked:v1")["Digest"] == desc.digest
