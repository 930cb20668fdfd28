"""WWW-Authenticate parsing and the Authorizer's token cache."""

from __future__ import annotations

import pytest

from pallet.registry.auth import Authorizer, Challenge, parse_challenges
from pallet.registry.credentials import Credentials

CHALLENGES = [
    ('Basic realm="registry"', [Challenge("basic", {"realm": "registry"})]),
    ('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
     [Challenge("bearer", {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                           "scope": "repository:library/busybox:pull"})]),
    ('Bearer realm="http://x/t", service="s", Basic realm="b"',
     [Challenge("bearer", {"realm": "http://x/t", "service": "s"}), Challenge("basic", {"realm": "b"})]),
    ("bearer realm=unquoted,error=invalid_token", [Challenge("bearer", {"realm": "unquoted", "error": "invalid_token"})]),
    ('Bearer realm="a \\"quoted\\" realm"', [Challenge("bearer", {"realm": 'a "quoted" realm'})]),
    ("", []),
]


@pytest.mark.parametrize("header,expected", CHALLENGES, ids=[c[0][:30] or "empty" for c in CHALLENGES])
def test_parse_challenges(header, expected):
    assert parse_challenges(header) == expected


class Fetcher:
    def __init__(self):
        self.calls = []

    def __call__(self, realm, service, scopes, creds):
        self.calls.append((realm, service, scopes, creds.username))
        return f"token{len(self.calls)}", 300


def test_no_header_before_a_challenge():
    assert Authorizer(Credentials("u", "p"), Fetcher()).header(("s",)) is None


def test_bearer_token_is_fetched_once_per_scope_set():
    fetch = Fetcher()
    auth = Authorizer(Credentials("u", "p"), fetch)
    assert auth.challenged('Bearer realm="http://t/token",service="reg"', ("repository:a:pull",))
    assert auth.header(("repository:a:pull",)) == "Bearer token1"
    assert auth.header(("repository:a:pull",)) == "Bearer token1"
    assert auth.header(("repository:b:pull",)) == "Bearer token2"
    assert fetch.calls[0] == ("http://t/token", "reg", ("repository:a:pull",), "u")


def test_a_second_401_for_a_fresh_token_retries_once_more_only():
    auth = Authorizer(Credentials(), Fetcher())
    header = 'Bearer realm="http://t/token"'
    assert auth.challenged(header, ("s",))  # first time: get a token
    auth.header(("s",))
    assert auth.challenged(header, ("s",))  # the token was refused: drop it, one more try
    assert not auth.challenged(header, ("s",))  # no token to drop: give up


def test_basic_challenge_sends_credentials_and_gives_up_without_any():
    auth = Authorizer(Credentials("alice", "pw"), Fetcher())
    assert auth.challenged('Basic realm="r"', ())
    assert auth.header(()) == "Basic YWxpY2U6cHc="
    assert not auth.challenged('Basic realm="r"', ())
    anonymous = Authorizer(Credentials(), Fetcher())
    assert not anonymous.challenged('Basic realm="r"', ())


def test_unknown_scheme_is_not_retried():
    assert not Authorizer(Credentials("u", "p"), Fetcher()).challenged('Negotiate', ())
