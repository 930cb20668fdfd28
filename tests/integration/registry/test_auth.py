"""Basic auth (htpasswd), bearer tokens (token server), login/logout, credential helpers."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from .conftest import USERS, make_image, store_state

GOOD = ("alice", USERS["alice"])


def docker_config(env) -> dict:
    return json.loads((env / "home" / ".docker" / "config.json").read_text())


def login(pallet, host, user, password, ok=True):
    return pallet("login", "-u", user, "-p", password, host, ok=ok)


@pytest.fixture(params=["basic", "token"])
def secured(request):
    return request.getfixturevalue(f"{request.param}_registry")


def test_push_without_login_is_unauthorized(secured, pallet):
    make_image(f"{secured.host}/private:v1")
    code, out, err = pallet("push", f"{secured.host}/private:v1", ok=False)
    assert code == 1
    assert "error: unauthorized: authentication required" in err
    assert "hint: run `pallet login`" in err and "Traceback" not in err


def test_login_with_wrong_password_is_refused_and_not_stored(secured, pallet, env):
    code, out, err = login(pallet, secured.host, "alice", "wrong", ok=False)
    assert code == 1
    assert f"error: login attempt to http://{secured.host}/v2/ failed: unauthorized:" in err
    assert not (env / "home" / ".docker" / "config.json").exists()


def test_login_push_pull_logout(secured, pallet, env):
    _, out, err = login(pallet, secured.host, *GOOD)
    assert out == "Login Succeeded\n"
    assert "Use --password-stdin" in err
    entry = docker_config(env)["auths"][secured.host]
    assert base64.b64decode(entry["auth"]).decode() == "alice:wonderland"
    assert stat.S_IMODE(os.stat(env / "home" / ".docker" / "config.json").st_mode) == 0o600
    desc = make_image(f"{secured.host}/private:v1")
    pallet("push", f"{secured.host}/private:v1")
    pallet("rmi", f"{secured.host}/private:v1")
    pallet("pull", f"{secured.host}/private:v1")
    assert store_state()[1] == {f"{secured.host}/private:v1"}
    _, out, _ = pallet("logout", secured.host)
    assert out == f"Removing login credentials for {secured.host}\n"
    assert secured.host not in docker_config(env).get("auths", {})
    pallet("rmi", f"{secured.host}/private:v1")
    code, _, err = pallet("pull", f"{secured.host}/private:v1", ok=False)
    assert code == 1 and "unauthorized" in err
    assert desc


def test_token_server_is_asked_once_per_scope(token_registry, pallet):
    login(pallet, token_registry.host, *GOOD)
    make_image(f"{token_registry.host}/scoped:v1", {"x": b"1", "y": b"2"})
    start = len(token_registry.tokens.requests)
    pallet("push", f"{token_registry.host}/scoped:v1")
    asked = token_registry.tokens.requests[start:]
    assert len(asked) == 1, asked
    assert asked[0]["user"] == "alice"
    assert asked[0]["query"]["scope"] == ["repository:scoped:pull,push"]
    assert asked[0]["query"]["service"] == ["pallet-test-registry"]


def test_password_stdin(basic_registry, pallet, monkeypatch, env):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("wonderland\n"))
    _, out, _ = pallet("login", "-u", "alice", "--password-stdin", basic_registry.host)
    assert out == "Login Succeeded\n"


def test_credential_helper_is_used_for_login_and_pull(basic_registry, pallet, env, monkeypatch):
    """A `docker-credential-<name>` program on PATH, named by credsStore, keeps the secret."""
    bin_dir = env / "bin"
    bin_dir.mkdir()
    store = env / "helper-store.json"
    helper = bin_dir / "docker-credential-testhelper"
    helper.write_text(HELPER.replace("STORE", str(store)))
    helper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    cfg = env / "home" / ".docker"
    cfg.mkdir()
    (cfg / "config.json").write_text(json.dumps({"credsStore": "testhelper", "other": 1}))
    login(pallet, basic_registry.host, *GOOD)
    saved = json.loads(store.read_text())
    assert saved[basic_registry.host] == {"Username": "alice", "Secret": "wonderland"}
    config = docker_config(env)
    assert config["other"] == 1 and config["auths"][basic_registry.host] == {}
    make_image(f"{basic_registry.host}/helped:v1")
    pallet("push", f"{basic_registry.host}/helped:v1")
    pallet("logout", basic_registry.host)
    assert json.loads(store.read_text()) == {}


HELPER = r"""#!/usr/bin/env python3
import json, sys
path = "STORE"
try:
    data = json.load(open(path))
except FileNotFoundError:
    data = {}
verb, stdin = sys.argv[1], sys.stdin.read()
if verb == "store":
    d = json.loads(stdin)
    data[d["ServerURL"]] = {"Username": d["Username"], "Secret": d["Secret"]}
elif verb == "get":
    if stdin.strip() not in data:
        print("credentials not found in native keychain"); sys.exit(1)
    print(json.dumps(dict(data[stdin.strip()], ServerURL=stdin.strip())))
elif verb == "erase":
    if data.pop(stdin.strip(), None) is None:
        print("credentials not found in native keychain"); sys.exit(1)
json.dump(data, open(path, "w"))
"""


def test_login_flag_errors(basic_registry, pallet, monkeypatch):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    code, _, err = pallet("login", "-u", "alice", "--password-stdin", basic_registry.host, ok=False)
    assert code == 2 and err.startswith("error: Password Required")
    code, _, err = pallet("login", basic_registry.host, ok=False)
    assert code == 2 and err.startswith("error: Cannot perform an interactive login from a non TTY device")
    code, _, err = pallet("login", "--password-stdin", basic_registry.host, ok=False)
    assert code == 2 and err.startswith("error: Must provide --username with --password-stdin")
