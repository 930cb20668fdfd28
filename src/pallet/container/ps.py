"""`pallet ps` rows, as docker ps prints them (cli/command/formatter/container.go)."""

from __future__ import annotations

from pallet.container.record import CREATED, RUNNING, Container
from pallet.image.display import ago, ellipsis, human_duration

HEADER = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
COMMAND_WIDTH = 20  # docker truncates COMMAND to 20 runes unless --no-trunc


def status_text(c: Container, now: float) -> str:
    """"Up 5 seconds", "Exited (0) 3 seconds ago", "Created"."""
    if c.status == RUNNING:
        return "Up " + human_duration(now - (c.started or c.created))
    if c.status == CREATED:
        return "Created"
    return f"Exited ({c.exit_code}) {ago(c.finished or c.created, now)}"


def command_text(c: Container, no_trunc: bool = False) -> str:
    command = " ".join(c.spec.args)
    return '"' + (command if no_trunc else ellipsis(command, COMMAND_WIDTH)) + '"'


def row(c: Container, now: float, no_trunc: bool = False) -> list[str]:
    return [c.id if no_trunc else c.short_id, c.image, command_text(c, no_trunc),
            ago(c.created, now), status_text(c, now), "", c.name]

