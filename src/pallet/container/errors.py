"""Errors of `pallet run/exec/stop/kill/ps/logs/rm`, in docker's words.

docker exits 125 when the docker command itself fails (bad flag, unknown image, name
in use), 126 when the container's command cannot be invoked and 127 when it is not
found; the container's own exit code otherwise (docs.docker.com/engine/containers/run,
"Exit status"). These sit under `UserError` so the CLI renders them like any other.
"""

from __future__ import annotations

from pallet.errors import UserError

EXIT_PALLET = 125
EXIT_CANNOT_INVOKE = 126
EXIT_NOT_FOUND = 127


class ContainerError(UserError):
    """pallet itself could not do what was asked: exit code 125, as docker."""

    exit_code = EXIT_PALLET


class NoSuchContainerError(ContainerError):
    def __init__(self, ref: str) -> None:
        super().__init__(f"No such container: {ref}", hint='"pallet ps -a" lists the containers')


class AmbiguousContainerError(ContainerError):
    def __init__(self, ref: str) -> None:
        super().__init__(f'multiple containers found with provided prefix: {ref}',
                         hint="give more characters of the id, or the name")


class NameConflictError(ContainerError):
    def __init__(self, name: str, cid: str) -> None:
        super().__init__(
            f'Conflict. The container name "/{name}" is already in use by container "{cid}". '
            "You have to remove (or rename) that container to be able to reuse that name.",
            hint=f"pallet rm -f {name}")


class NotRunningError(ContainerError):
    def __init__(self, cid: str) -> None:
        super().__init__(f"container {cid} is not running",
                         hint="start a new one with pallet run; pallet logs shows what it printed")


class StillRunningError(ContainerError):
    def __init__(self, name: str) -> None:
        super().__init__(f'cannot remove container "/{name}": container is running: '
                         "stop the container before removing or force remove",
                         hint=f"pallet stop {name}, or pallet rm -f {name}")


class CommandStartError(ContainerError):
    """The container's command could not be started: 127 if missing, 126 otherwise."""

    def __init__(self, reason: str, *, prefix: str = "failed to create task for container") -> None:
        super().__init__(f"{prefix}: {reason}")
        missing = "executable file not found" in reason or "no such file or directory" in reason
        self.exit_code = EXIT_NOT_FOUND if missing else EXIT_CANNOT_INVOKE
