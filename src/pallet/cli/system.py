"""`pallet system df` and `pallet system check [--repair]`.

df prints docker's table (docker/cli formatter: tabwriter minwidth 10, padding 3): Images,
Containers, Local Volumes, Build Cache. pallet has no containers or volumes of its own
yet, so those rows are zero. check lists what killed builds left and what no longer
matches its digest; --repair removes or unmounts it (state/check.py).
"""

from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("system", help="disk usage and consistency of the state root")
    verbs = p.add_subparsers(dest="system_command", metavar="COMMAND")
    df = verbs.add_parser("df", help="show disk usage")
    df.add_argument("-v", "--verbose", action="store_true", help="accepted for docker compatibility")
    df.set_defaults(func=run_df)
    check = verbs.add_parser("check", help="find (and with --repair, fix) orphans and corrupt blobs")
    check.add_argument("--repair", action="store_true", help="remove orphans, unmount stale mounts")
    check.set_defaults(func=run_check)
    p.set_defaults(func=lambda args: (p.print_help(sys.stderr), 2)[1])


def run_df(args) -> int:
    from pallet.cli.builder import human_size
    from pallet.image.display import table
    from pallet.state.root import StateRoot
    from pallet.state.usage import load_inventory

    inv = load_inventory(StateRoot.default())
    image_nodes = inv.mark(keep_build_cache=False)
    image_size = sum(size for digest, size in inv.blobs.items() if ("blob", digest) in image_nodes)
    items = inv.items()
    cache_size = sum(i.size for i in items)
    reclaim = sum(i.size for i in items if not i.in_use)
    active = sum(1 for i in items if i.in_use)
    n_images = len({r.target.digest for r in inv.images})
    rows = [
        ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"],
        ["Images", str(n_images), "0", human_size(image_size), _percent(image_size, image_size)],
        ["Containers", "0", "0", "0B", "0B"],
        ["Local Volumes", "0", "0", "0B", "0B"],
        ["Build Cache", str(len(items)), str(active), human_size(cache_size), human_size(reclaim)],
    ]
    sys.stdout.write(table(rows))
    return 0


def _percent(part: int, whole: int) -> str:
    from pallet.cli.builder import human_size

    pct = int(part * 100 / whole) if whole else 0
    return f"{human_size(part)} ({pct}%)"


def run_check(args) -> int:
    from pallet.state.check import check
    from pallet.state.root import StateRoot

    problems = check(StateRoot.default(), repair=args.repair)
    for problem in problems:
        print(("repaired: " if args.repair else "") + problem)
    if not problems:
        print("no problems found")
    return 0 if args.repair or not problems else 1
