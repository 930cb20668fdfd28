"""`builder ls` / `inspect` text in buildx's layout (Go tabwriter)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pallet.builders.display import go_table, inspect_text, ls_table
from pallet.builders.registry import DEFAULT, Builder
from pallet.state.root import StateRoot

ROOT = StateRoot(Path("/r"))


@pytest.fixture(autouse=True)
def amd64_host(monkeypatch):
    from pallet.image import platform

    import pallet

    monkeypatch.setattr(platform, "host_platform", lambda: platform.Platform("linux", "amd64", ""))
    monkeypatch.setattr(pallet, "__version__", "0.1.0")


def test_go_table_pads_like_tabwriter():
    rows = [["NAME", "X", "last"], ["a", "longer", "z"]]
    assert go_table(rows, minwidth=10, padding=3) == "NAME      X         last\na         longer    z\n"
    assert go_table([["Name:", "x"], ["Last Activity:", "y"]]) == "Name:          x\nLast Activity: y\n"


def test_ls_matches_buildx_layout():
    builders = [Builder("elated_tesla", "docker-container", ["linux/arm64"], status="running"),
                Builder("idle"), DEFAULT]
    assert ls_table(builders, "elated_tesla", ROOT) == (
        "NAME/NODE           DRIVER/ENDPOINT                STATUS     BUILDKIT       PLATFORMS\n"
        "elated_tesla*       docker-container\n"
        " \\_ elated_tesla0    \\_ /r/builders/elated_tesla   running    pallet/0.1.0   linux/arm64*, linux/amd64\n"
        "idle                local\n"
        " \\_ idle0            \\_ /r/builders/idle           inactive\n"
        "default             local\n"
        " \\_ default          \\_ /r                         running    pallet/0.1.0   linux/amd64\n")


def test_inspect_matches_buildx_layout():
    b = Builder("mybuilder", "local", ["linux/amd64", "linux/arm64"], status="running")
    assert inspect_text(b, ROOT) == (
        "Name:   mybuilder\n"
        "Driver: local\n"
        "\n"
        "Nodes:\n"
        "Name:             mybuilder0\n"
        "Endpoint:         /r/builders/mybuilder\n"
        "Status:           running\n"
        "BuildKit version: pallet/0.1.0\n"
        "Platforms:        linux/amd64*, linux/arm64*\n")


def test_inspect_shows_last_activity_when_there_was_one():
    text = inspect_text(Builder("b", last_activity=1_700_000_000.0, status="stopped"), ROOT)
    assert text.splitlines()[2].startswith("Last Activity: 2023-11-")
    assert "BuildKit version" not in text and "Platforms" not in text
