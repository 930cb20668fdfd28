"""Registry authentication: answer WWW-Authenticate challenges, remember the answers.

A registry says how it wants to be asked on its first 401 (distribution-spec, and the
token flow of docker/distribution docs/spec/auth/token.md):

    WWW-Authenticate: Basic realm="registry"
    WWW-Authenticate: Bearer realm="https://auth.example/token",service="registry.example",
                      scope="repository:library/busybox:pull"

Basic means: send `user:password` on every request. Bearer means: ask the realm for a
token for (service, scopes) — with basic credentials if we have some, anonymously if not —
and send `Bearer <token>`. Tokens are cached per scope set for their lifetime, so a pull of
ten layers asks the token server once. This module does no I/O itself: the token request
goes through the `fetch_token` callable the client gives it, so httpx stays in client.py.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pallet.registry.credentials import Credentials

# Tokens without `expires_in` live 60 s (token.md: "the default ... should be 60 seconds").
DEFAULT_TOKEN_SECONDS = 60
# Renew a little early so a token does not expire between our check and the registry's.
TOKEN_MARGIN_SECONDS = 5

_SCHEME_RE = re.compile(r"\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)")
_PARAM_RE = re.compile(r'\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*,?')


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-case: "basic" or "bearer"
    params: dict[str, str] = field(default_factory=dict)


def parse_challenges(header: str) -> list[Challenge]:
    """`Bearer realm="x",service="y", Basic realm="z"` -> two challenges, params unquoted."""
    out: list[Challenge] = []
    pos = 0
    while pos < len(header):
        m = _SCHEME_RE.match(header, pos)
        if not m:
            break
        params: dict[str, str] = {}
        pos = m.end()
        while (p := _PARAM_RE.match(header, pos)) and p.end() > pos:
            params[p.group(1).lower()] = (p.group(2) or "").replace('\\"', '"') if p.group(2) is not None else p.group(3)
            pos = p.end()
        out.append(Challenge(m.group(1).lower(), params))
    return out


def basic_header(creds: Credentials) -> str:
    raw = f"{creds.username}:{creds.password}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def repository_scope(repository: str, actions: str) -> str:
    """token.md scope syntax: `repository:library/busybox:pull,push`."""
    return f"repository:{repository}:{actions}"


@dataclass
class Token:
    value: str
    expires: float


# fetch_token(realm, service, scopes, creds) -> (token, expires_in seconds or None)
TokenFetcher = Callable[[str, str, tuple[str, ...], Credentials], tuple[str, "int | None"]]


class Authorizer:
    """The auth state of one registry host, shared by the threads of a pull or push."""

    def __init__(self, creds: Credentials, fetch_token: TokenFetcher) -> None:
        self.creds = creds
        self._fetch_token = fetch_token
        self._challenge: Challenge | None = None
        self._tokens: dict[tuple[str, ...], Token] = {}
        self._lock = threading.Lock()

    def header(self, scopes: tuple[str, ...]) -> str | None:
        """The Authorization header to send proactively, once a challenge has been seen."""
        with self._lock:
            challenge = self._challenge
            if challenge is None:
                return None
            if challenge.scheme == "basic":
                return basic_header(self.creds) if self.creds.username else None
            token = self._tokens.get(scopes)
            if token is None or token.expires <= time.monotonic():
                token = self._new_token(challenge, scopes)
            return f"Bearer {token.value}"

    def challenged(self, header: str, scopes: tuple[str, ...]) -> bool:
        """Learn from a 401's WWW-Authenticate; True when retrying with new auth may help."""
        usable = [c for c in parse_challenges(header) if c.scheme in ("bearer", "basic")]
        if not usable:
            return False
        # Prefer bearer, like docker's client: basic creds still reach the token server.
        challenge = next((c for c in usable if c.scheme == "bearer"), usable[0])
        with self._lock:
            first_time = self._challenge != challenge
            self._challenge = challenge
            had_token = self._tokens.pop(scopes, None) is not None
        if challenge.scheme == "basic":
            return first_time and bool(self.creds.username)
        return first_time or had_token

    def _new_token(self, challenge: Challenge, scopes: tuple[str, ...]) -> Token:
        realm = challenge.params.get("realm", "")
        service = challenge.params.get("service", "")
        value, expires_in = self._fetch_token(realm, service, scopes, self.creds)
        seconds = max((expires_in or DEFAULT_TOKEN_SECONDS) - TOKEN_MARGIN_SECONDS, 1)
        token = Token(value, time.monotonic() + seconds)
        self._tokens[scopes] = token
        return token
