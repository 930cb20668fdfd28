"""pallet's registry settings: which registries may use plain http, and docker.io mirrors.

The file is JSON with dockerd's daemon.json key names, so a user can copy them over:

    {"insecure-registries": ["myhost:5000"], "registry-mirrors": ["https://mirror.example"]}

It is `$PALLET_CONFIG` when set, else `$XDG_CONFIG_HOME/pallet/registries.json` (default
`~/.config/pallet/registries.json`). A missing file means defaults.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from pallet.errors import UserError

# Docker treats loopback registries as insecure without being told (registry/config.go:
# "localhost" and 127.0.0.0/8 are always in the insecure list).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")


def settings_path(environ=None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("PALLET_CONFIG"):
        return Path(env["PALLET_CONFIG"])
    base = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config")
    return Path(base).expanduser() / "pallet" / "registries.json"


@dataclass(frozen=True)
class RegistrySettings:
    insecure: tuple[str, ...] = ()
    mirrors: tuple[str, ...] = ()  # base URLs tried before docker.io, in order

    @classmethod
    def load(cls, path: Path | None = None) -> RegistrySettings:
        path = path or settings_path()
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError) as e:
            raise UserError(f"cannot read registry settings {path}: {e}",
                            hint='it must be JSON like {"insecure-registries": ["host:5000"]}') from None
        if not isinstance(data, dict):
            raise UserError(f"cannot read registry settings {path}: not a JSON object")
        return cls(_strings(data, "insecure-registries", path), _strings(data, "registry-mirrors", path))

    def is_insecure(self, host: str) -> bool:
        """Plain http is allowed for loopback hosts and those listed, with or without port."""
        name = _hostname(host)
        if name in LOOPBACK_HOSTS or name.startswith("127."):
            return True
        return host in self.insecure or name in self.insecure


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _strings(data: dict, key: str, path: Path) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UserError(f'registry settings {path}: "{key}" must be a list of strings')
    return tuple(v.rstrip("/") for v in value)
