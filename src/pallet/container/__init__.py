"""Running what was built: `pallet run/exec/stop/kill/ps/logs/rm` (see containers.py)."""

from pallet.container.containers import Containers
from pallet.container.errors import (
    CommandStartError,
    ContainerError,
    NameConflictError,
    NoSuchContainerError,
    NotRunningError,
)
from pallet.container.execute import ExecOptions, exec_in, run_foreground
from pallet.container.options import RunOptions
from pallet.container.record import Container, ContainerSpec

__all__ = [
    "CommandStartError", "Container", "ContainerError", "ContainerSpec", "Containers", "ExecOptions",
    "NameConflictError", "NoSuchContainerError", "NotRunningError", "RunOptions", "exec_in",
    "run_foreground",
]
