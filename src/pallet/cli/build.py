"""`pallet build` (and `pallet buildx build`)."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("build", help="build an image from a Dockerfile")
    p.add_argument("context", metavar="PATH", help="the build context directory")
    p.set_defaults(func=run)


def run(args) -> int:
    from pallet.errors import OptionError

    raise OptionError("pallet build cannot build yet")
