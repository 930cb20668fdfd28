"""`builder ls` and `builder inspect` output, in buildx's layout (commands/ls.go,
commands/inspect.go): both are Go tabwriter text, so a reader who knows buildx's output
(or a script that cuts its columns) finds things where it expects them."""

from __future__ import annotations

import time

from pallet.builders.registry import RUNNING, Builder
from pallet.state.root import StateRoot

LS_HEADER = ["NAME/NODE", "DRIVER/ENDPOINT", "STATUS", "BUILDKIT", "PLATFORMS"]
INDENT = " \\_ "  # buildx ls.go lsIndent: a node row under its builder


def ls_table(builders: list[Builder], current: str, root: StateRoot) -> str:
    rows = [LS_HEADER]
    for b in builders:
        rows.append([b.name + ("*" if b.name == current else ""), b.driver, "", "", ""])
        rows.append([INDENT + b.node_name, INDENT + endpoint(b, root), b.status,
                     version(b), ", ".join(platforms(b))])
    # docker's table formatter: tabwriter(minwidth 10, tabwidth 1, padding 3, ' ')
    return go_table(rows, minwidth=10, padding=3)


def inspect_text(b: Builder, root: StateRoot) -> str:
    head = [["Name:", b.name], ["Driver:", b.driver]]
    if b.last_activity:
        head.append(["Last Activity:", go_time(b.last_activity)])
    node = [["Name:", b.node_name], ["Endpoint:", endpoint(b, root)], ["Status:", b.status]]
    if version(b):
        node.append(["BuildKit version:", version(b)])
    if platforms(b):
        node.append(["Platforms:", ", ".join(platforms(b))])
    # inspect.go: tabwriter(0, 0, 1, ' '); the blank line and "Nodes:" have no tab, so
    # each block is aligned on its own.
    return go_table(head, padding=1) + "\nNodes:\n" + go_table(node, padding=1)


def endpoint(b: Builder, root: StateRoot) -> str:
    """Where the node is: for a local builder, the directory that holds its cache."""
    return str(root.for_builder(b.name).builder_dir)


def version(b: Builder) -> str:
    """The BUILDKIT column: the engine's version, known only when the node runs."""
    from pallet import __version__

    return f"pallet/{__version__}" if b.status == RUNNING else ""


def platforms(b: Builder) -> list[str]:
    """Platforms set at `create` (marked `*`, as buildx marks user-set ones), then the
    host's, which a running node detects; an inactive node knows only the set ones."""
    from pallet.image.platform import host_platform

    shown = [f"{p}*" for p in b.platforms]
    host = str(host_platform())
    if b.status == RUNNING and host not in b.platforms:
        shown.append(host)
    return shown


def go_time(ts: float) -> str:
    """Go's time.Time String(), to the second: `2022-11-30 12:42:47 +0100 CET`."""
    return time.strftime("%Y-%m-%d %H:%M:%S %z %Z", time.localtime(ts))


def go_table(rows: list[list[str]], *, minwidth: int = 0, padding: int = 1) -> str:
    """Go text/tabwriter with ' ' padding: every cell but a row's last is padded to its
    column's widest cell + padding (at least minwidth). Trailing blanks are dropped."""
    from pallet.image.display import table

    return "".join(line.rstrip() + "\n" for line in table(rows, minwidth, padding).split("\n")[:-1])
