"""`pallet binfmt`: which platforms this machine can build, and registering qemu emulators.

Like `docker run --privileged tonistiigi/binfmt`: without flags it prints JSON with the
platforms RUN steps can use ("supported") and the binfmt_misc entries ("emulators");
`--install [all|ARCH,...]` registers qemu-user-static's emulators with the F flag,
`--uninstall ARCH` removes an entry pallet registered.
"""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("binfmt", help="list or register emulators for other platforms")
    p.add_argument("--install", nargs="?", const="all", metavar="all|ARCH[,ARCH...]",
                   help="register qemu-user-static emulators (default: all installed)")
    p.add_argument("--uninstall", metavar="ARCH", action="append", default=[],
                   help="remove an emulator pallet registered (e.g. aarch64 or linux/arm64)")
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from pallet.emulation import install, status, uninstall

    for name in args.uninstall:
        print(f"uninstalling: {uninstall(name)}")
    if args.install:
        names = [n.strip() for n in args.install.split(",") if n.strip()]
        for entry in install(names):
            print(f"installing: {entry} OK")
    print(json.dumps(status(), indent=2))
    return 0
