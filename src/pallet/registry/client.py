"""The HTTP side of the registry client, and the one place httpx errors are translated.

Every request of a pull or push goes through `RegistryClient.send`: it adds the
Authorization header the host's `Authorizer` knows, answers one 401 challenge and retries,
and turns transport failures into the RegistryError tree (errors.py) with `raise ... from`.
Responses that are HTTP errors become RegistryErrors in `raise_for_status`, worded as docker
words a distribution error body (`manifest unknown: manifest unknown`).

    RegistryError
    ├── AuthError                 401/403, or the token server refused the credentials
    ├── ManifestUnknownError      404 MANIFEST_UNKNOWN (and 404 on a manifest URL)
    ├── RegistryUnreachableError  httpx.ConnectError / ConnectTimeout / TLS failures
    └── TransferInterruptedError  httpx.ReadError / RemoteProtocolError / ReadTimeout in a body
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx

from pallet.errors import (
    AuthError,
    ManifestUnknownError,
    RegistryError,
    RegistryUnreachableError,
    TransferInterruptedError,
)
from pallet.registry.auth import Authorizer
from pallet.registry.credentials import Credentials, DockerConfig
from pallet.registry.endpoints import Endpoint
from pallet.registry.settings import RegistrySettings

USER_AGENT = "pallet/0.1 (docker-compatible)"
# Connect fast (a down registry must fail fast); reads may be slow on big layers.
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


@contextlib.contextmanager
def map_errors(method: str, url: str, *, in_body: bool = False) -> Iterator[None]:
    """httpx exceptions -> RegistryError subclasses; `in_body`: we were reading a body."""
    where = f'{method.title()} "{url}"'
    try:
        yield
    except httpx.TimeoutException as exc:
        if in_body or not isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
            raise TransferInterruptedError(f"{where}: read timeout", hint=_retry_hint) from exc
        raise RegistryUnreachableError(f"{where}: dial tcp {_host(url)}: i/o timeout",
                                       hint=_down_hint(url)) from exc
    except httpx.ConnectError as exc:
        raise RegistryUnreachableError(f"{where}: {_connect_detail(url, exc)}", hint=_down_hint(url)) from exc
    except (httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError) as exc:
        if in_body or isinstance(exc, httpx.RemoteProtocolError):
            raise TransferInterruptedError(f"{where}: unexpected EOF ({exc})", hint=_retry_hint) from exc
        raise RegistryUnreachableError(f"{where}: {exc}", hint=_down_hint(url)) from exc
    except httpx.HTTPError as exc:  # anything else httpx raises: still the registry's fault
        raise RegistryError(f"{where}: {exc}") from exc


_retry_hint = "the connection dropped mid-transfer; run the command again to resume"


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc if parts.port else f"{parts.hostname}:{443 if parts.scheme == 'https' else 80}"


def _connect_detail(url: str, exc: Exception) -> str:
    text = str(exc)
    if "refused" in text.lower():
        return f"dial tcp {_host(url)}: connect: connection refused"
    if "ssl" in text.lower() or "certificate" in text.lower() or "wrong version" in text.lower():
        return f"tls: {text}"
    return f"dial tcp {_host(url)}: {text}"


def _down_hint(url: str) -> str:
    host = urlsplit(url).netloc
    if url.startswith("https://"):
        return (f"is a registry listening on {host}? if it serves plain http, add it to "
                '"insecure-registries" in the pallet registries file ($PALLET_CONFIG)')
    return f"is a registry listening on {host}?"


def raise_for_status(resp: httpx.Response, what: str) -> None:
    """A distribution-spec error response -> the matching RegistryError."""
    if resp.status_code < 400:
        return
    code, text = _error_body(resp)
    status = resp.status_code
    if status in (401, 403):
        hint = "run `pallet login` for this registry, or check the repository name and your access"
        raise AuthError(text or "unauthorized: authentication required", hint=hint, code=code, status=status)
    if code == "MANIFEST_UNKNOWN" or (status == 404 and "/manifests/" in str(resp.request.url)):
        raise ManifestUnknownError(f"{what}: {text or 'manifest unknown: manifest unknown'}",
                                   hint="check the name and tag; `pallet pull` names the image as the registry does",
                                   code=code or "MANIFEST_UNKNOWN", status=status)
    detail = text or f"unexpected status {status} {resp.reason_phrase}"
    raise RegistryError(f"{what}: {detail}", code=code, status=status)


def _error_body(resp: httpx.Response) -> tuple[str, str]:
    """(first code, docker's text "code words: message") from {"errors": [...]} bodies."""
    with contextlib.suppress(Exception):
        resp.read()
    try:
        errors = json.loads(resp.content or b"{}").get("errors") or []
    except (ValueError, AttributeError):
        errors = []
    parts = [f"{str(e.get('code', '')).lower().replace('_', ' ')}: {e.get('message', '')}"
             for e in errors if isinstance(e, dict)]
    code = str(errors[0].get("code", "")) if errors and isinstance(errors[0], dict) else ""
    return code, "; ".join(parts)


class RegistryClient:
    """One HTTP connection pool and one Authorizer per registry host, for a whole command."""

    def __init__(self, settings: RegistrySettings | None = None, config: DockerConfig | None = None,
                 *, http: httpx.Client | None = None, credentials: dict[str, Credentials] | None = None) -> None:
        self.settings = settings or RegistrySettings.load()
        self._config = config
        self._overrides = credentials or {}  # login checks credentials before storing them
        self.http = http or httpx.Client(timeout=TIMEOUT, follow_redirects=True,
                                         headers={"User-Agent": USER_AGENT})
        self._authorizers: dict[str, Authorizer] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def authorizer(self, endpoint: Endpoint) -> Authorizer:
        with self._lock:
            if endpoint.base_url not in self._authorizers:
                self._authorizers[endpoint.base_url] = Authorizer(self._credentials(endpoint), self._fetch_token)
            return self._authorizers[endpoint.base_url]

    def _credentials(self, endpoint: Endpoint) -> Credentials:
        if endpoint.auth_key in self._overrides:
            return self._overrides[endpoint.auth_key]
        if self._config is None:
            self._config = DockerConfig()
        return self._config.get(endpoint.auth_key)

    # ------------------------------------------------------------------ requests --

    def send(self, endpoint: Endpoint, scopes: tuple[str, ...], method: str, url: str, *,
             headers: dict[str, str] | None = None, content=None, stream: bool = False) -> httpx.Response:
        """One request with auth; `content` may be a callable giving a fresh body per try."""
        auth = self.authorizer(endpoint)
        for attempt in range(2):
            resp = self._send_once(auth, scopes, method, url, headers, content, stream)
            challenge = resp.headers.get("www-authenticate", "")
            if resp.status_code != 401 or attempt or not auth.challenged(challenge, scopes):
                return resp
            resp.close()
        return resp

    def _send_once(self, auth: Authorizer, scopes, method, url, headers, content, stream) -> httpx.Response:
        all_headers = dict(headers or {})
        with map_errors(method, url):
            value = auth.header(scopes)
            if value:
                all_headers["Authorization"] = value
            body = content() if callable(content) else content
            request = self.http.build_request(method, url, headers=all_headers, content=body)
            return self.http.send(request, stream=stream)

    @contextlib.contextmanager
    def body_errors(self, method: str, url: str) -> Iterator[None]:
        """Wrap iteration over a streamed body, where a drop means 'resume me'."""
        with map_errors(method, url, in_body=True):
            yield

    def _fetch_token(self, realm: str, service: str, scopes: tuple[str, ...],
                     creds: Credentials) -> tuple[str, int | None]:
        """token.md: GET realm?service=&scope=... with basic auth, or the OAuth2 refresh flow."""
        if not realm.startswith(("http://", "https://")):
            raise AuthError(f'unauthorized: the registry sent an unusable token realm "{realm}"')
        params = [("service", service)] if service else []
        params += [("scope", s) for s in scopes]
        with map_errors("GET", realm):
            if creds.identity_token:
                form = dict(params, grant_type="refresh_token", refresh_token=creds.identity_token,
                            client_id="pallet")
                resp = self.http.post(realm, data=form)
            else:
                auth = (creds.username, creds.password) if creds.username else None
                resp = self.http.get(realm, params=params, auth=auth)
        if resp.status_code in (401, 403):
            _, text = _error_body(resp)
            raise AuthError(text or "unauthorized: incorrect username or password",
                            hint="check the user name and password, then run `pallet login` again",
                            status=resp.status_code)
        raise_for_status(resp, f'Get "{realm}"')
        return _token_of(resp, realm)


def _token_of(resp: httpx.Response, realm: str) -> tuple[str, int | None]:
    try:
        data = resp.json()
        token = data.get("token") or data.get("access_token")
        expires = data.get("expires_in")
    except (ValueError, AttributeError):
        token, expires = None, None
    if not token:
        raise AuthError(f'unauthorized: the token server "{realm}" sent no token')
    return str(token), int(expires) if isinstance(expires, (int, float)) else None
