"""`pallet pull`, `push`, `login`, `logout`: docker's flags and docker's output."""

from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("pull", help="download an image from a registry")
    p.add_argument("name", metavar="NAME[:TAG|@DIGEST]")
    p.add_argument("--platform", help="pull this platform of a multi-platform image (os/arch[/variant])")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the image name")
    p.set_defaults(func=run_pull)

    p = sub.add_parser("push", help="upload an image to a registry")
    p.add_argument("name", metavar="NAME[:TAG]")
    p.add_argument("--platform", help="push only this platform of a multi-platform image")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    p.set_defaults(func=run_push)

    p = sub.add_parser("login", help="log in to a registry (default: Docker Hub)")
    p.add_argument("server", nargs="?", metavar="SERVER")
    p.add_argument("-u", "--username")
    p.add_argument("-p", "--password")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(func=run_login)

    p = sub.add_parser("logout", help="log out from a registry (default: Docker Hub)")
    p.add_argument("server", nargs="?", metavar="SERVER")
    p.set_defaults(func=run_logout)


def _say(quiet: bool):
    def report(line: str) -> None:
        if not quiet:
            print(line, flush=True)
    return report


def _platform(text: str | None):
    from pallet.image.platform import parse_platform

    return parse_platform(text) if text else None


def run_pull(args) -> int:
    from pallet.registry.api import pull

    result = pull(args.name, platform=_platform(args.platform), report=_say(args.quiet))
    print(result.name)
    return 0


def run_push(args) -> int:
    from pallet.registry.api import push

    push(args.name, platform=_platform(args.platform), report=_say(args.quiet))
    return 0


def run_login(args) -> int:
    from pallet.registry.login import login

    username, password = _login_credentials(args)
    login(args.server, username, password)
    print("Login Succeeded")
    return 0


def _login_credentials(args) -> tuple[str, str]:
    from pallet.errors import OptionError

    if args.password and args.password_stdin:
        raise OptionError("--password and --password-stdin are mutually exclusive")
    if args.password_stdin:
        if not args.username:
            raise OptionError("Must provide --username with --password-stdin")
        password = sys.stdin.read().rstrip("\r\n")
        if not password:
            raise OptionError("Password Required", hint="pipe the password into --password-stdin")
        return args.username, password
    if args.password:
        print("WARNING! Using --password via the CLI is insecure. Use --password-stdin.", file=sys.stderr)
    username = args.username or _prompt("Username: ")
    password = args.password or _prompt("Password: ", secret=True)
    if not username or not password:
        raise OptionError("Non-null Username Required" if not username else "Password Required")
    return username, password


def _prompt(text: str, secret: bool = False) -> str:
    import getpass

    from pallet.errors import OptionError

    if not sys.stdin.isatty():
        raise OptionError("Cannot perform an interactive login from a non TTY device",
                          hint="use -u USER --password-stdin and pipe the password in")
    return getpass.getpass(text) if secret else input(text)


def run_logout(args) -> int:
    from pallet.registry.login import logout

    key, found = logout(args.server)
    print(f"Removing login credentials for {key}" if found else f"Not logged in to {key}")
    return 0
