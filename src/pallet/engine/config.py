"""The image config a stage accumulates, and its history, as BuildKit writes them.

Field names and shapes are the OCI/Docker image config's (`Env`, `Cmd`, `ExposedPorts`...).
Env keeps first-set order and replaces in place (goldens case 03); Labels, ExposedPorts
and Volumes merge with the base's (04, 05); OnBuild holds only the stage's own triggers (08).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HISTORY_COMMENT = "buildkit.dockerfile.v0"


@dataclass
class ImageState:
    """Config + history + platform of an image being built (or a base image)."""

    config: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    os: str = "linux"
    architecture: str = "amd64"
    variant: str = ""
    created: str | None = None  # the base image's `created`, a deterministic time source
    author: str = ""  # MAINTAINER

    @classmethod
    def from_image_config(cls, image_config: dict) -> ImageState:
        return cls(
            config=copy.deepcopy(image_config.get("config") or {}),
            history=copy.deepcopy(image_config.get("history") or []),
            os=image_config.get("os", "linux"),
            architecture=image_config.get("architecture", "amd64"),
            variant=image_config.get("variant", ""),
            created=image_config.get("created"),
            author=image_config.get("author", ""),
        )

    def clone(self) -> ImageState:
        return copy.deepcopy(self)

    # -- environment -------------------------------------------------------------------
    def env_list(self) -> list[str]:
        return list(self.config.get("Env") or [])

    def env_dict(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for item in self.env_list():
            key, _, value = item.partition("=")
            out[key] = value
        return out

    def set_env(self, key: str, value: str) -> None:
        env = self.env_list()
        for i, item in enumerate(env):
            if item.partition("=")[0] == key:
                env[i] = f"{key}={value}"
                break
        else:
            env.append(f"{key}={value}")
        self.config["Env"] = env

    # -- merged maps -------------------------------------------------------------------
    def add_labels(self, pairs: list[tuple[str, str]]) -> None:
        labels = dict(self.config.get("Labels") or {})
        labels.update(pairs)
        self.config["Labels"] = labels

    def add_ports(self, ports: list[str]) -> None:
        exposed = dict(self.config.get("ExposedPorts") or {})
        exposed.update({p: {} for p in ports})
        self.config["ExposedPorts"] = exposed

    def add_volumes(self, paths: list[str]) -> None:
        volumes = dict(self.config.get("Volumes") or {})
        volumes.update({p: {} for p in paths})
        self.config["Volumes"] = volumes

    # -- history -----------------------------------------------------------------------
    def add_history(self, created_by: str, *, empty_layer: bool, created: str | None) -> None:
        entry: dict = {}
        if created:
            entry["created"] = created
        entry["created_by"] = created_by
        entry["comment"] = HISTORY_COMMENT
        if empty_layer:
            entry["empty_layer"] = True
        self.history.append(entry)

    def to_image_config(self, diff_ids: list[str], created: str | None) -> dict:
        """The OCI image config JSON object (key order as BuildKit writes it)."""
        out: dict = {"architecture": self.architecture}
        if self.variant:
            out["variant"] = self.variant
        out["config"] = {k: v for k, v in self.config.items() if v not in (None, [], {}, "")}
        if created:
            out["created"] = created
        if self.author:
            out["author"] = self.author
        out["history"] = self.history
        out["os"] = self.os
        out["rootfs"] = {"type": "layers", "diff_ids": list(diff_ids)}
        return out
