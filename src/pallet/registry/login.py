"""`pallet login` / `pallet logout`: check credentials against a registry, then store them.

Like `docker login`, the check is a GET of `/v2/` that answers the registry's challenge with
the new credentials (basic, or a bearer token got with them); only an accepted login is
written to config.json, under the key docker uses (Docker Hub: https://index.docker.io/v1/).
"""

from __future__ import annotations

from pallet.errors import AuthError
from pallet.registry.client import RegistryClient, raise_for_status
from pallet.registry.credentials import Credentials, DockerConfig
from pallet.registry.endpoints import Endpoint, registry_for_login
from pallet.registry.settings import RegistrySettings


def login(server: str | None, username: str, password: str, *, settings: RegistrySettings | None = None,
          config: DockerConfig | None = None, client: RegistryClient | None = None) -> str:
    """Verify and store; returns the config key the credentials went under."""
    settings = settings or RegistrySettings.load()
    base, key = registry_for_login(server, settings)
    creds = Credentials(username, password)
    endpoint = Endpoint(base, "", key)
    own = client is None
    client = client or RegistryClient(settings, credentials={key: creds})
    try:
        resp = client.send(endpoint, (), "GET", endpoint.ping_url())
        raise_for_status(resp, f'Get "{endpoint.ping_url()}"')
    except AuthError as err:
        raise AuthError(f'login attempt to {endpoint.ping_url()} failed: {err.message}',
                        hint="check the user name and password", status=err.status) from None
    finally:
        if own:
            client.close()
    (config or DockerConfig()).store(key, creds)
    return key


def logout(server: str | None, *, settings: RegistrySettings | None = None,
           config: DockerConfig | None = None) -> tuple[str, bool]:
    """Forget the credentials; (key, whether there were any)."""
    _, key = registry_for_login(server, settings or RegistrySettings.load())
    return key, (config or DockerConfig()).erase(key)
