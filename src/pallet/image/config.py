"""OCI image configs (image-spec config.md), serialised byte for byte as BuildKit does.

BuildKit marshals its `dockerfile2llb.Image` (ocispec.Image + Healthcheck, OnBuild, Shell...)
and its exporter then patches rootfs, history and created through a
`map[string]json.RawMessage` (exporter/containerimage/writer.go:patchImageConfig), so the
top-level keys come out sorted while `config` keeps Go struct order:
User, ExposedPorts, Env, Entrypoint, Cmd, Volumes, WorkingDir, Labels, StopSignal,
ArgsEscaped, Healthcheck, OnBuild (always present, null when unset), Shell.
Unknown keys read from another tool's config are kept, so a loaded image re-serialises to
what it was as far as the known keys allow; loaded configs are stored as their original bytes.
"""

from __future__ import annotations

import os

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone

from pallet.errors import OptionError, UserError
from pallet.image.gojson import go_marshal, sorted_map

# (key, omitempty) in Go struct order; see the module docstring.
RUN_CONFIG_FIELDS = (
    ("User", True), ("ExposedPorts", True), ("Env", True), ("Entrypoint", True), ("Cmd", True),
    ("Volumes", True), ("WorkingDir", True), ("Labels", True), ("StopSignal", True),
    ("ArgsEscaped", True), ("Healthcheck", True), ("OnBuild", False), ("Shell", True),
)
_RUN_CONFIG_KEYS = frozenset(key for key, _ in RUN_CONFIG_FIELDS)
MAP_FIELDS = ("ExposedPorts", "Volumes", "Labels")
HISTORY_FIELDS = ("created", "created_by", "author", "comment", "empty_layer")


def format_time(epoch: float) -> str:
    """Go's time.RFC3339Nano in UTC: `2023-01-01T00:00:00Z`, fraction without trailing 0s."""
    whole = int(epoch)
    nanos = round((epoch - whole) * 1e9)
    text = datetime.fromtimestamp(whole, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if nanos:
        text += "." + f"{nanos:09d}".rstrip("0")
    return text + "Z"


def source_date_epoch(environ=None) -> int | None:
    value = (os.environ if environ is None else environ).get("SOURCE_DATE_EPOCH", "")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise OptionError(f'invalid SOURCE_DATE_EPOCH "{value}"', hint="it must be a unix time in seconds") from None


def parse_time(text: str) -> float:
    """RFC 3339 (with up to nanosecond fractions) to unix seconds."""
    try:
        main, _, rest = text.partition(".")
        frac = ""
        if rest:
            i = 0
            while i < len(rest) and rest[i].isdigit():
                i += 1
            frac, zone = rest[:i], rest[i:]
            main += zone
        base = datetime.fromisoformat(main.replace("Z", "+00:00"))
        return base.timestamp() + (int(frac) / 10 ** len(frac) if frac else 0.0)
    except ValueError:
        raise UserError(f'invalid time "{text}" in image config') from None


@dataclass
class History:
    created: str = ""
    created_by: str = ""
    author: str = ""
    comment: str = ""
    empty_layer: bool = False

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in HISTORY_FIELDS if getattr(self, k)}

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(**{k: d[k] for k in HISTORY_FIELDS if d.get(k) is not None})


@dataclass
class ImageConfig:
    """The config blob. `config` is the run config dict (Env, Cmd, ...)."""

    architecture: str = "amd64"
    os: str = "linux"
    variant: str = ""
    created: str = ""
    author: str = ""
    config: dict = field(default_factory=dict)
    diff_ids: list[str] = field(default_factory=list)
    history: list[History] = field(default_factory=list)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        top = dict(self.extra)
        top.update(architecture=self.architecture, os=self.os, config=run_config_dict(self.config))
        top["rootfs"] = {"type": "layers", "diff_ids": list(self.diff_ids)}
        top["history"] = [h.to_dict() for h in self.history]
        for key in ("variant", "created", "author"):
            if getattr(self, key):
                top[key] = getattr(self, key)
        return sorted_map(top)

    def to_bytes(self) -> bytes:
        return go_marshal(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> ImageConfig:
        if not isinstance(d, dict):
            raise UserError("invalid image config: not a JSON object")
        known = {"architecture", "os", "variant", "created", "author", "config", "rootfs", "history"}
        rootfs = d.get("rootfs") or {}
        return cls(
            architecture=d.get("architecture", ""),
            os=d.get("os", ""),
            variant=d.get("variant", "") or "",
            created=d.get("created", "") or "",
            author=d.get("author", "") or "",
            config=dict(d.get("config") or {}),
            diff_ids=list(rootfs.get("diff_ids") or []),
            history=[History.from_dict(h) for h in d.get("history") or []],
            extra={k: v for k, v in d.items() if k not in known},
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ImageConfig:
        try:
            return cls.from_dict(json.loads(data))
        except (ValueError, TypeError, AttributeError) as e:
            raise UserError(f"invalid image config: {e}") from None


def _empty(value) -> bool:
    return value in (None, "", [], {}, False, 0)


def run_config_dict(config: dict) -> dict:
    """The `config` object in BuildKit's key order, omitempty applied, maps sorted."""
    out = {}
    for key, omitempty in RUN_CONFIG_FIELDS:
        value = config.get(key)
        if omitempty and _empty(value):
            continue
        out[key] = sorted_map(value) if key in MAP_FIELDS and isinstance(value, dict) else value
    for key in config:  # keys BuildKit does not know, kept after its own (as a map would sort)
        if key not in _RUN_CONFIG_KEYS:
            out[key] = config[key]
    return out
