"""Registry settings (insecure, mirrors), endpoints and docker's config.json credentials."""

from __future__ import annotations

import base64
import json

import pytest

from pallet.errors import UserError
from pallet.image.reference import parse_tagged
from pallet.registry.credentials import Credentials, DockerConfig, hostname_of
from pallet.registry.endpoints import endpoints_for, registry_for_login
from pallet.registry.settings import RegistrySettings

INSECURE = [
    ("localhost:5000", True), ("localhost", True), ("127.0.0.1:5000", True), ("127.8.9.1", True),
    ("[::1]:5000", True), ("example.com", False), ("myhost:5000", True), ("other:5000", False),
    ("listed.example", True), ("listed.example:443", True),
]


@pytest.mark.parametrize("host,insecure", INSECURE, ids=[h for h, _ in INSECURE])
def test_insecure_registries(host, insecure):
    settings = RegistrySettings(insecure=("myhost:5000", "listed.example"))
    assert settings.is_insecure(host) is insecure


def test_settings_file(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"insecure-registries": ["h:1"], "registry-mirrors": ["http://m:5000/"]}))
    assert RegistrySettings.load(path) == RegistrySettings(("h:1",), ("http://m:5000",))
    assert RegistrySettings.load(tmp_path / "missing.json") == RegistrySettings()
    path.write_text('{"registry-mirrors": "not a list"}')
    with pytest.raises(UserError, match='"registry-mirrors" must be a list of strings'):
        RegistrySettings.load(path)


def test_docker_hub_endpoints_try_mirrors_first():
    settings = RegistrySettings(mirrors=("http://127.0.0.1:5001", "mirror.example"))
    eps = endpoints_for(parse_tagged("golang"), settings)
    assert [(e.base_url, e.repository, e.mirror) for e in eps] == [
        ("http://127.0.0.1:5001", "library/golang", True),
        ("https://mirror.example", "library/golang", True),
        ("https://registry-1.docker.io", "library/golang", False),
    ]
    assert eps[-1].auth_key == "https://index.docker.io/v1/"
    assert eps[-1].manifest_url("latest") == "https://registry-1.docker.io/v2/library/golang/manifests/latest"
    assert [e.mirror for e in endpoints_for(parse_tagged("golang"), settings, for_push=True)] == [False]


def test_other_registries_have_no_mirrors():
    (ep,) = endpoints_for(parse_tagged("localhost:5000/team/app:v1"), RegistrySettings(mirrors=("m",)))
    assert (ep.base_url, ep.repository, ep.auth_key) == ("http://localhost:5000", "team/app", "localhost:5000")
    (ep,) = endpoints_for(parse_tagged("ghcr.io/o/app"), RegistrySettings())
    assert ep.blob_url("sha256:ab") == "https://ghcr.io/v2/o/app/blobs/sha256:ab"


@pytest.mark.parametrize("server,expected", [
    (None, ("https://registry-1.docker.io", "https://index.docker.io/v1/")),
    ("docker.io", ("https://registry-1.docker.io", "https://index.docker.io/v1/")),
    ("localhost:5000", ("http://localhost:5000", "localhost:5000")),
    ("https://ghcr.io/", ("https://ghcr.io", "ghcr.io")),
])
def test_login_server_names(server, expected):
    assert registry_for_login(server, RegistrySettings()) == expected


def test_hostname_of_config_keys():
    assert hostname_of("https://index.docker.io/v1/") == "index.docker.io"
    assert hostname_of("localhost:5000") == "localhost:5000"


def test_auths_are_read_by_host_whatever_the_key_form(tmp_path):
    path = tmp_path / "config.json"
    auth = base64.b64encode(b"bob:pa:ss").decode()
    path.write_text(json.dumps({"auths": {"https://localhost:5000/v2/": {"auth": auth}}}))
    assert DockerConfig(path).get("localhost:5000") == Credentials("bob", "pa:ss")
    assert DockerConfig(path).get("elsewhere:1") == Credentials()


def test_store_and_erase_keep_other_keys(tmp_path):
    path = tmp_path / "d" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"psFormat": "table", "auths": {"other": {"auth": "eDp5"}}}))
    config = DockerConfig(path)
    config.store("localhost:5000", Credentials("u", "p"))
    data = json.loads(path.read_text())
    assert data["psFormat"] == "table" and data["auths"]["other"] == {"auth": "eDp5"}
    assert data["auths"]["localhost:5000"] == {"auth": base64.b64encode(b"u:p").decode()}
    assert DockerConfig(path).erase("localhost:5000") is True
    assert "localhost:5000" not in json.loads(path.read_text())["auths"]
    assert DockerConfig(path).erase("localhost:5000") is False


def test_bad_config_file_is_a_user_error(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{nope")
    with pytest.raises(UserError, match="loading config file"):
        DockerConfig(path)
    path.write_text(json.dumps({"auths": {"h": {"auth": "bm9jb2xvbg=="}}}))  # "nocolon"
    with pytest.raises(UserError, match="invalid auth configuration file"):
        DockerConfig(path).get("h")


def test_missing_credential_helper_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"credHelpers": {"h:1": "absent"}}))
    with pytest.raises(UserError, match='exec: "docker-credential-absent": executable file not found'):
        DockerConfig(path).get("h:1")
