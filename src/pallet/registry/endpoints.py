"""Where a reference lives: registry base URL, repository path and credential key.

Docker Hub is special twice over: `docker.io` names are served by `registry-1.docker.io`,
and credentials for it are stored under `https://index.docker.io/v1/` (docker/cli
registry.IndexServer). Mirrors only ever stand in for docker.io, as in dockerd.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from pallet.image.reference import DEFAULT_DOMAIN, Reference
from pallet.registry.settings import RegistrySettings

DOCKER_HUB_HOST = "registry-1.docker.io"
DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"


@dataclass(frozen=True)
class Endpoint:
    """One registry that can serve a repository."""

    base_url: str  # scheme://host[:port], no trailing slash
    repository: str  # library/busybox
    auth_key: str  # the config.json key credentials are found under
    mirror: bool = False

    @property
    def host(self) -> str:
        return self.base_url.split("://", 1)[1]

    def manifest_url(self, reference: str) -> str:
        return f"{self.base_url}/v2/{self.repository}/manifests/{quote(reference, safe=':')}"

    def blob_url(self, digest: str) -> str:
        return f"{self.base_url}/v2/{self.repository}/blobs/{digest}"

    def uploads_url(self) -> str:
        return f"{self.base_url}/v2/{self.repository}/blobs/uploads/"

    def ping_url(self) -> str:
        return f"{self.base_url}/v2/"


def auth_key(domain: str) -> str:
    return DOCKER_HUB_AUTH_KEY if domain == DEFAULT_DOMAIN else domain


def base_url(host: str, settings: RegistrySettings) -> str:
    scheme = "http" if settings.is_insecure(host) else "https"
    return f"{scheme}://{host}"


def endpoints_for(ref: Reference, settings: RegistrySettings, *, for_push: bool = False) -> list[Endpoint]:
    """Endpoints to try, in order: mirrors (pulls from docker.io only), then the registry."""
    if ref.domain != DEFAULT_DOMAIN:
        return [Endpoint(base_url(ref.domain, settings), ref.path, auth_key(ref.domain))]
    hub = Endpoint(f"https://{DOCKER_HUB_HOST}", ref.path, DOCKER_HUB_AUTH_KEY)
    if for_push:
        return [hub]
    mirrors = [Endpoint(_with_scheme(m, settings), ref.path, _mirror_key(m), mirror=True)
               for m in settings.mirrors]
    return [*mirrors, hub]


def _with_scheme(url: str, settings: RegistrySettings) -> str:
    if "://" in url:
        return url.rstrip("/")
    return base_url(url.rstrip("/"), settings)


def _mirror_key(url: str) -> str:
    return url.split("://", 1)[-1].rstrip("/")


def registry_for_login(server: str | None, settings: RegistrySettings) -> tuple[str, str]:
    """`pallet login [SERVER]` -> (ping base URL, config.json key), as docker login does."""
    if not server or server.rstrip("/") in ("docker.io", "index.docker.io", DOCKER_HUB_AUTH_KEY.rstrip("/")):
        return f"https://{DOCKER_HUB_HOST}", DOCKER_HUB_AUTH_KEY
    host = server.split("://", 1)[-1].split("/", 1)[0]
    if "://" in server:
        return f"{server.split('://', 1)[0]}://{host}", host
    return base_url(host, settings), host
