"""Credentials from docker's config file, so `docker login` and `pallet login` are shared.

The file is `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`). A registry's
credentials come, in docker/cli's order (cli/config/configfile/file.go GetCredentialsStore):
from `credHelpers[host]`, else from `credsStore`, both through the `docker-credential-<name>`
program (protocol: docker/docker-credential-helpers, `get`/`store`/`erase` with the server on
stdin); else from `auths[host].auth`, base64 of `user:password`. Keys may carry a scheme or a
path (`https://index.docker.io/v1/`), so lookups compare host names, as docker's
ConvertToHostname does.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pallet.errors import UserError

HELPER_PREFIX = "docker-credential-"
HELPER_TIMEOUT = 30  # seconds: helpers may prompt a keychain, but must not hang a pull


@dataclass(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    identity_token: str = ""  # an OAuth refresh token some registries hand out at login

    def __bool__(self) -> bool:
        return bool(self.username or self.identity_token)


def config_path(environ=None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("DOCKER_CONFIG") or os.path.join(env.get("HOME", "~"), ".docker")
    return Path(base).expanduser() / "config.json"


def hostname_of(key: str) -> str:
    """`https://index.docker.io/v1/` -> `index.docker.io`; `host:5000` stays."""
    return key.split("://", 1)[-1].split("/", 1)[0]


class DockerConfig:
    """config.json, read once; `save()` keeps every key pallet does not own."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_path()
        self.data = self._read()

    def _read(self) -> dict:
        try:
            data = json.loads(self.path.read_text() or "{}")
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as e:
            raise UserError(f"loading config file {self.path}: {e}",
                            hint="fix or remove the file; docker and pallet share it") from None
        if not isinstance(data, dict):
            raise UserError(f"loading config file {self.path}: not a JSON object")
        return data

    def helper_for(self, key: str) -> str:
        helpers = self.data.get("credHelpers") or {}
        host = hostname_of(key)
        for k, name in helpers.items():
            if hostname_of(k) == host:
                return name
        return self.data.get("credsStore") or ""

    def get(self, key: str) -> Credentials:
        helper = self.helper_for(key)
        if helper:
            return helper_get(helper, key)
        return self._stored_auth(key)

    def _stored_auth(self, key: str) -> Credentials:
        host = hostname_of(key)
        for k, entry in (self.data.get("auths") or {}).items():
            if hostname_of(k) == host and isinstance(entry, dict):
                return decode_entry(entry, self.path)
        return Credentials()

    def store(self, key: str, creds: Credentials) -> None:
        helper = self.helper_for(key)
        if helper:
            helper_store(helper, key, creds)
            self.data.setdefault("auths", {})[key] = {}  # docker keeps an empty entry too
        else:
            self.data.setdefault("auths", {})[key] = encode_entry(creds)
        self.save()

    def erase(self, key: str) -> bool:
        """Forget `key`; False when nothing was stored for it."""
        helper = self.helper_for(key)
        found = helper_erase(helper, key) if helper else False
        auths = self.data.get("auths") or {}
        for k in [k for k in auths if hostname_of(k) == hostname_of(key)]:
            del auths[k]
            found = True
        if found:
            self.save()
        return found

    def save(self) -> None:
        """Write atomically, mode 0600: the file holds passwords."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".config.json.")
        with os.fdopen(fd, "w") as f:
            json.dump(self.data, f, indent="\t")
            f.write("\n")
        os.replace(tmp, self.path)


def decode_entry(entry: dict, path: Path) -> Credentials:
    token = entry.get("identitytoken") or ""
    if not entry.get("auth"):
        return Credentials(entry.get("username") or "", entry.get("password") or "", token)
    try:
        user, sep, password = base64.b64decode(entry["auth"]).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        sep = ""
    if not sep:
        raise UserError(f"invalid auth configuration file {path}: an \"auth\" value is not base64 of user:password",
                        hint="run pallet login again for that registry")
    return Credentials(user, password, token)


def encode_entry(creds: Credentials) -> dict:
    entry = {"auth": base64.b64encode(f"{creds.username}:{creds.password}".encode()).decode()}
    if creds.identity_token:
        entry["identitytoken"] = creds.identity_token
    return entry


# -------------------------------------------------------------- credential helpers --

def _run_helper(helper: str, verb: str, stdin: str) -> subprocess.CompletedProcess:
    program = HELPER_PREFIX + helper
    try:
        return subprocess.run([program, verb], input=stdin, capture_output=True, text=True,
                              timeout=HELPER_TIMEOUT)
    except FileNotFoundError:
        raise UserError(f'error getting credentials - err: exec: "{program}": executable file not found in $PATH',
                        hint=f'install {program} or remove "{helper}" from credsStore/credHelpers in config.json') from None
    except subprocess.TimeoutExpired:
        raise UserError(f"error getting credentials - err: {program} {verb} timed out after {HELPER_TIMEOUT}s") from None


def _not_found(proc: subprocess.CompletedProcess) -> bool:
    # The helpers' protocol: exit 1 with this message on stdout means "no credentials".
    return "credentials not found" in (proc.stdout + proc.stderr).lower()


def helper_get(helper: str, key: str) -> Credentials:
    proc = _run_helper(helper, "get", key)
    if proc.returncode != 0:
        if _not_found(proc):
            return Credentials()
        raise UserError(f"error getting credentials - err: {HELPER_PREFIX}{helper} get: "
                        f"{(proc.stdout or proc.stderr).strip()}")
    try:
        data = json.loads(proc.stdout)
        user, secret = data.get("Username") or "", data.get("Secret") or ""
    except (ValueError, AttributeError):
        raise UserError(f"error getting credentials - err: {HELPER_PREFIX}{helper} printed invalid JSON") from None
    if user == "<token>":  # helpers store identity tokens under this user name
        return Credentials(identity_token=secret)
    return Credentials(user, secret)


def helper_store(helper: str, key: str, creds: Credentials) -> None:
    user, secret = ("<token>", creds.identity_token) if creds.identity_token else (creds.username, creds.password)
    payload = json.dumps({"ServerURL": key, "Username": user, "Secret": secret})
    proc = _run_helper(helper, "store", payload)
    if proc.returncode != 0:
        raise UserError(f"error storing credentials - err: {HELPER_PREFIX}{helper} store: "
                        f"{(proc.stdout or proc.stderr).strip()}")


def helper_erase(helper: str, key: str) -> bool:
    proc = _run_helper(helper, "erase", key)
    if proc.returncode != 0 and not _not_found(proc):
        raise UserError(f"error erasing credentials - err: {HELPER_PREFIX}{helper} erase: "
                        f"{(proc.stdout or proc.stderr).strip()}")
    return proc.returncode == 0
