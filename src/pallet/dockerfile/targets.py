"""Stages as a graph: FROM bases, COPY --from and RUN --mount from= edges, the target and
the stages it needs.

Mirrors BuildKit's `dockerfile2llb/convert.go` (dispatchStates, toCommand,
validateCircularDependency, allReachableStages):
- FROM <name> only sees stages defined *earlier*; any other name is an image (so
  `FROM x AS x` is the image x). pallet matches names case-insensitively everywhere.
- COPY --from=<n> is a stage index; COPY --from / --mount from=<name> look at all stages,
  else the name is an image. A stage may only copy from a stage defined before it.
- The default target is the last stage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pallet.dockerfile.suggest import did_you_mean
from pallet.errors import StageError


@dataclass(slots=True)
class StageNode:
    """One stage after its FROM line was expanded."""

    index: int
    stage: object  # stages.Stage
    base_name: str  # the FROM word after expansion
    base: int | None = None  # index of the stage it is built on, if any
    platform: str | None = None  # the --platform value after expansion
    deps: dict[int, object] = field(default_factory=dict)  # stage index -> instruction
    images: dict[str, object] = field(default_factory=dict)  # image name -> instruction
    from_args: frozenset[str] = frozenset()  # args used by the FROM line

    @property
    def name(self) -> str:
        return (self.stage.name or "").lower()

    @property
    def display_name(self) -> str:
        """BuildKit's stageName: the name, or stage-<index> for unnamed stages."""
        return self.name or f"stage-{self.index}"


class StageIndex:
    """Name -> stage lookup, filled in Dockerfile order (later duplicates win)."""

    def __init__(self) -> None:
        self.by_name: dict[str, int] = {}
        self.count = 0

    def add(self, node: StageNode) -> None:
        if node.name:
            self.by_name[node.name] = node.index
        self.count += 1

    def find(self, name: str) -> int | None:
        return self.by_name.get(name.lower())


def find_target(nodes: list[StageNode], index: StageIndex, target: str | None) -> int:
    if not nodes:
        raise StageError("dockerfile contains no stages to build")
    if not target:
        return len(nodes) - 1
    found = index.find(target)
    if found is None:
        names = [n.stage.name for n in nodes if n.stage.name]
        raise StageError(
            f'target stage "{target}" could not be found' + did_you_mean(target, names),
            hint="--target takes a stage name from a FROM ... AS <name> line",
        )
    return found


def source_ref(value: str, nodes: list[StageNode], index: StageIndex, inst) -> int | str:
    """A COPY --from / mount from= value: a stage index, or an image name."""
    if value.lstrip("-").isdigit() and value.strip() == value:
        number = int(value)
        if number < 0 or number >= len(nodes):
            raise StageError(f"invalid stage index {number}", ranges=[inst.node.range])
        return number
    found = index.find(value)
    return value if found is None else found


def add_edges(node: StageNode, refs: list[tuple[str, object]], nodes, index) -> None:
    for value, inst in refs:
        ref = source_ref(value, nodes, index, inst)
        if isinstance(ref, int):
            node.deps.setdefault(ref, inst)
        else:
            node.images.setdefault(ref, inst)


def check_cycles(nodes: list[StageNode]) -> None:
    """BuildKit's validateCircularDependency, over base and --from edges."""
    done: set[int] = set()
    for start in range(len(nodes)):
        path = _find_cycle(nodes, start, done, set(), [])
        if path is not None:
            raise StageError(
                f"circular dependency detected on stage: {nodes[start].display_name}",
                ranges=[inst.node.range for inst in path],
            )


def _find_cycle(nodes, i, done, on_path, trail):
    if i in done:
        return None
    done.add(i)
    on_path.add(i)
    for dep, inst in nodes[i].deps.items():
        step = [*trail, inst]
        if dep in on_path:
            return step
        found = _find_cycle(nodes, dep, done, on_path, step)
        if found is not None:
            return found
    on_path.discard(i)
    return None


def reachable(nodes: list[StageNode], target: int) -> set[int]:
    """The stages the target needs: its base chain and every --from, transitively."""
    seen: set[int] = set()
    todo = [target]
    while todo:
        i = todo.pop()
        if i in seen:
            continue
        seen.add(i)
        node = nodes[i]
        if node.base is not None:
            todo.append(node.base)
        todo.extend(node.deps)
    return seen


def check_order(nodes: list[StageNode], needed: set[int]) -> None:
    """A needed stage may only copy or mount from stages defined before it (BuildKit
    dispatches stages in file order)."""
    for i in sorted(needed):
        node = nodes[i]
        for dep, inst in node.deps.items():
            if dep > i:
                raise StageError(_order_message(inst, nodes[dep], node), ranges=[inst.node.range])


def _order_message(inst, dep: StageNode, node: StageNode) -> str:
    ref = dep.stage.name or str(dep.index)
    if inst.node.keyword == "run":
        return (f'cannot mount from stage "{ref}" to "{node.display_name}", stage needs to '
                f"be defined before current command")
    return (f'cannot copy from stage "{ref}", it needs to be defined before current stage '
            f'"{node.display_name}"')


def dependency_order(nodes: list[StageNode], needed: set[int]) -> list[int]:
    """Needed stages, each after every stage it uses (file order already is, once
    check_order passed; base stages are always earlier)."""
    return sorted(needed)


def reference_error(name: str) -> str | None:
    """Why `name` is not a valid image reference, or None when it is: docker/distribution's
    grammar, anchored, as ParseNormalizedNamed applies it to a FROM word that is not a stage."""
    from pallet.image.reference import HEX64_RE, NAME_MAX, REFERENCE_RE

    if HEX64_RE.fullmatch(name):
        return f"invalid repository name ({name}), cannot specify 64-byte hexadecimal strings"
    if REFERENCE_RE.match(name) and len(name.partition("@")[0].rpartition(":")[0] or name) <= NAME_MAX:
        return None
    if REFERENCE_RE.match(name.lower()):
        return "invalid reference format: repository name must be lowercase"
    return "invalid reference format"


def check_base_references(nodes: list[StageNode]) -> None:
    """BuildKit parses every image base name, needed or not ("failed to parse stage name")."""
    for node in nodes:
        if node.base is not None or node.base_name == "scratch":
            continue
        why = reference_error(node.base_name)
        if why:
            raise StageError(f'failed to parse stage name "{node.base_name}": {why}',
                             ranges=[node.stage.node.range])
