"""The builder registry: `<root>/builders.json`, read and written under a file lock.

    {"current": "mybuilder" | null,
     "builders": {"mybuilder": {"name", "driver", "platforms", "created", "last_activity",
                                "status"}}}

`default` is never stored: it is the root's own cache and always exists. Status follows
buildx's driver states: `inactive` until the first build (or --bootstrap), `running`
after, `stopped` after `stop` (the next build runs it again). pallet has no daemon to start
or stop, so the status only records what the user did; the cache is there either way.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from pallet.errors import UserError
from pallet.state.locks import FileLock
from pallet.state.root import DEFAULT_BUILDER, StateRoot

# `docker-container` is what buildx guides type; here it is the local driver under the name
# the user chose, so `ls` shows what they asked for.
DRIVERS = ("local", "docker-container")
INACTIVE, RUNNING, STOPPED = "inactive", "running", "stopped"


class BuilderError(UserError):
    """A builder command's input is wrong: an unknown name, a reserved name, ..."""


@dataclass
class Builder:
    name: str
    driver: str = "local"
    platforms: list[str] = field(default_factory=list)  # set by `create --platform`
    created: float = 0.0
    last_activity: float | None = None
    status: str = INACTIVE

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_BUILDER

    @property
    def node_name(self) -> str:
        """buildx numbers a builder's nodes: `mybuilder0`; the default node is `default`."""
        return self.name if self.is_default else f"{self.name}0"


DEFAULT = Builder(DEFAULT_BUILDER, status=RUNNING)


class Registry:
    def __init__(self, root: StateRoot) -> None:
        self.root = root

    # -- reading ---------------------------------------------------------------------
    def list(self) -> list[Builder]:
        """Stored builders by name, then `default` (buildx lists context builders last)."""
        data = self._read()
        return [_builder(data["builders"][n]) for n in sorted(data["builders"])] + [DEFAULT]

    def get(self, name: str) -> Builder:
        from pallet.builders.names import validate_name

        name = validate_name(name)
        if name == DEFAULT_BUILDER:
            return DEFAULT
        stored = self._read()["builders"].get(name)
        if stored is None:
            raise not_found(name)
        return _builder(stored)

    def current(self) -> str:
        """The builder `use` selected; `default` when none is, or it was removed."""
        data = self._read()
        name = data.get("current")
        return name if name in data["builders"] else DEFAULT_BUILDER

    # -- changing --------------------------------------------------------------------
    def create(self, name: str | None, driver: str | None, platforms: list[str],
               use: bool = False) -> Builder:
        from pallet.builders.names import generate_name, validate_new_name

        driver = driver or "local"
        if driver not in DRIVERS:
            raise BuilderError(f'failed to find driver "{driver}"',
                               hint="pallet builds locally: use --driver local (docker-container "
                                    "is accepted and behaves the same)")
        with self._change() as data:
            taken = set(data["builders"])
            name = validate_new_name(name) if name else generate_name(taken)
            if name in taken:
                raise BuilderError(
                    f'existing instance for "{name}" but no append mode, specify the node name '
                    "to make changes for existing instances",
                    hint=f"pallet builder rm {name} first, or pick another --name")
            builder = Builder(name, driver, platforms, created=time.time())
            data["builders"][name] = asdict(builder)
            if use:
                data["current"] = name
        return builder

    def use(self, name: str) -> Builder:
        builder = self.get(name)
        with self._change() as data:
            data["current"] = None if builder.is_default else builder.name
        return builder

    def set_status(self, name: str, status: str) -> None:
        """A build marks its builder running (and its last activity); `stop` stops it."""
        if name == DEFAULT_BUILDER:
            return
        with self._change() as data:
            stored = data["builders"].get(name)
            if stored is None:
                raise not_found(name)
            stored["status"] = status
            if status == RUNNING:
                stored["last_activity"] = time.time()

    def remove(self, name: str) -> None:
        with self._change() as data:
            if data["builders"].pop(name, None) is None:
                raise not_found(name)
            if data.get("current") == name:
                data["current"] = None

    # -- storage ---------------------------------------------------------------------
    def _read(self) -> dict:
        try:
            data = json.loads(self.root.builders_file.read_text())
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError) as e:
            raise BuilderError(f"cannot read {self.root.builders_file}: {e}",
                               hint="fix or delete the file (it only lists builder names)") from e
        return {"current": data.get("current"), "builders": data.get("builders") or {}}

    @contextmanager
    def _change(self):
        """Read, let the caller change, write atomically: all under the registry's lock, so
        two `pallet builder create` at once both land."""
        self.root.path.mkdir(parents=True, exist_ok=True)
        with FileLock(self.root.lock_path("builders")):
            data = self._read()
            yield data
            tmp = self.root.builders_file.with_name(f".builders.json.{os.getpid()}")
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
            os.replace(tmp, self.root.builders_file)


def not_found(name: str) -> BuilderError:
    return BuilderError(f'no builder "{name}" found',
                        hint=f"pallet builder ls lists them; pallet builder create --name {name} "
                             "makes one")


def _builder(stored: dict) -> Builder:
    known = {k: v for k, v in stored.items() if k in Builder.__dataclass_fields__}
    return Builder(**known)
