"""`pallet build --ssh default|ID[=SOCKET]`: which agent sockets a build may forward.

buildx's grammar (build.md, --ssh): `default` is $SSH_AUTH_SOCK; `ID=PATH` names a socket.
Only agent sockets are forwarded: a step sees the socket, never a key (buildx would also
load key files into an in-memory agent; pallet asks for an agent instead).
"""

from __future__ import annotations

import os
import stat

from pallet.errors import OptionError


class SshAgents:
    def __init__(self, sockets: dict[str, str]) -> None:
        self.sockets = sockets

    @classmethod
    def from_options(cls, specs: list[str], environ) -> SshAgents:
        sockets: dict[str, str] = {}
        for spec in specs or ():
            ssh_id, path = parse_ssh(spec, environ)
            sockets[ssh_id] = path
        return cls(sockets)

    def get(self, ssh_id: str) -> str | None:
        return self.sockets.get(ssh_id or "default")


def parse_ssh(spec: str, environ) -> tuple[str, str]:
    ssh_id, eq, paths = spec.partition("=")
    ssh_id = ssh_id.strip()
    if not ssh_id:
        raise OptionError(f'invalid ssh "{spec}": no id', hint="use --ssh default or --ssh ID=SOCKET")
    path = paths.split(",")[0] if eq else environ.get("SSH_AUTH_SOCK", "")
    if not path:
        raise OptionError(f'invalid empty ssh agent socket for "{ssh_id}": SSH_AUTH_SOCK is not set',
                          hint="start ssh-agent (eval $(ssh-agent)) or pass --ssh ID=/path/to/socket")
    path = os.path.abspath(os.path.expanduser(path))
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        raise OptionError(f'failed to read ssh agent socket "{path}": {(e.strerror or str(e)).lower()}',
                          hint="check SSH_AUTH_SOCK or the path given to --ssh") from None
    if not stat.S_ISSOCK(mode):
        raise OptionError(f'"{path}" is not an ssh agent socket',
                          hint="pallet forwards agent sockets only: ssh-add the key to an agent "
                               "and pass --ssh default")
    return ssh_id, path
