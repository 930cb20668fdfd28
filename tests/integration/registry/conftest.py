"""Fixtures for the registry tests: an isolated environment, images, registries."""

from __future__ import annotations

import io
import tarfile

import pytest


from .servers import FakeRegistry, Registry, TokenServer, htpasswd_auth

USERS = {"alice": "wonderland"}


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    """A fresh state root, HOME, DOCKER_CONFIG and pallet registries file per test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PALLET_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("DOCKER_CONFIG", str(home / ".docker"))
    monkeypatch.setenv("PALLET_CONFIG", str(home / "registries.json"))
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    reg = Registry(tmp_path_factory.mktemp("registry-open"))
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def basic_registry(tmp_path_factory):
    work = tmp_path_factory.mktemp("registry-basic")
    reg = Registry(work, htpasswd_auth(work, USERS))
    yield reg
    reg.stop()


@pytest.fixture(scope="module")
def token_registry(tmp_path_factory):
    work = tmp_path_factory.mktemp("registry-token")
    tokens = TokenServer(work / "tokens", USERS)
    try:
        reg = Registry(work, tokens.auth_config())
    except BaseException:
        tokens.stop()
        raise
    reg.tokens = tokens
    yield reg
    reg.stop()
    tokens.stop()


@pytest.fixture
def fake_registry():
    fake = FakeRegistry()
    yield fake
    fake.stop()


def rootfs_tar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in sorted(files.items()):
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 1_700_000_000, 0o755
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def open_images():
    from pallet.image.local import LocalImages

    return LocalImages.open()


def make_image(name: str, files: dict[str, bytes] | None = None, platform: str | None = None):
    """A one-layer image in the local store under `name`; returns its manifest descriptor."""
    from pallet.image.importer import ImportOptions, import_tarball
    from pallet.image.platform import parse_platform

    files = files or {"hello.txt": f"hello from {name}\n".encode()}
    plat = parse_platform(platform) if platform else None
    images = open_images()
    desc = import_tarball(images, io.BytesIO(rootfs_tar(files)), ImportOptions(platform=plat, epoch=1_700_000_000))
    if name:
        images.tag(name, desc, plat)
    return desc


def store_state():
    """(blob digests, image names) of the current state root: to show nothing was added."""
    images = open_images()
    return set(images.blobs.list_blobs()), {r.name for r in images.store.list()}


def partials():
    from pallet.state.root import StateRoot

    ingest = StateRoot.default().content_dir / "ingest"
    return sorted(p.name for p in ingest.iterdir()) if ingest.exists() else []
