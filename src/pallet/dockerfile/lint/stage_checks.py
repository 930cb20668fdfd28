"""Lint rules BuildKit runs while dispatching a stage's instructions
(`dockerfile2llb/convert.go`: dispatchCmd/Entrypoint/Healthcheck via validateUsedOnce,
dispatchWorkdir, dispatchEnv/dispatchArg via validateNoSecretKey, dispatchLabel,
reportUnmatchedVariables, convert_expose.go parsePort, validateCopySourcePath).

Base-image config (its ENV, SHELL, WORKDIR) is not known here: UndefinedVar is only checked
in stages that do not start from an image, so it never reports a variable the image sets.
"""

from __future__ import annotations

import re

from pallet.dockerfile.lint import rules as R
from pallet.dockerfile.suggest import closest
from pallet.errors import DockerfileError

_SECRET = re.compile(
    r"(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)"
    r"(?:_|$)")
_PUBLIC = re.compile(r"(?i)(?:_|^)(?:public)(?:_|$)")
_USED_ONCE = {"Cmd": "CMD", "Entrypoint": "ENTRYPOINT", "Healthcheck": "HEALTHCHECK"}


class StageState:
    """What dispatch knows about a stage: env, declared args, shell, workdir, trackers."""

    def __init__(self, base: StageState | None, known_env: bool) -> None:
        self.env: dict[str, str] = dict(base.env) if base else {"PATH": ""}
        self.args: set[str] = set(base.args) if base else set()
        self.shell = base.shell if base else False
        self.workdir_set = base.workdir_set if base else False
        self.known_env = base.known_env if base else known_env
        self.last: dict[str, object] = {}


def dispatch_checks(staged, plan, indexes, linter, ignore_matcher=None) -> None:
    from pallet.dockerfile.shell import ShellLex

    lex = ShellLex(staged.dockerfile.escape)
    states: dict[int, StageState] = {}
    for node in plan.all_stages:
        if indexes is not None and node.index not in indexes:
            continue
        base = states.get(node.base) if node.base is not None else None
        state = StageState(base, known_env=node.base_name == "scratch")
        states[node.index] = state
        for inst in node.stage.commands:
            _dispatch(inst, state, plan, lex, linter, ignore_matcher)


def _dispatch(inst, state, plan, lex, linter, matcher) -> None:
    kind = type(inst).__name__
    if kind in _USED_ONCE:
        _used_once(inst, _USED_ONCE[kind], state, linter)
    handler = _HANDLERS.get(kind)
    if handler:
        handler(inst, state, plan, lex, linter, matcher)


def _used_once(inst, name, state, linter) -> None:
    previous = state.last.get(name)
    if previous is not None:
        linter.report(R.MULTIPLE_INSTRUCTIONS_DISALLOWED, previous.node.range, _raw(inst))
    state.last[name] = inst
    if name != "HEALTHCHECK" and inst.prepend_shell and not state.shell:
        linter.report(R.JSON_ARGS_RECOMMENDED, inst.node.range, _raw(inst))


def _raw(inst) -> str:
    return inst.node.raw_keyword or inst.node.keyword.upper()


def _expand(word, inst, state, lex, linter) -> str:
    try:
        result = lex.expand_with_matches(word, state.env)
    except DockerfileError:
        return word
    if state.known_env:
        for name in sorted(result.unmatched - state.args):
            match = closest(name, state.env, case_sensitive=True)
            linter.report(R.UNDEFINED_VAR, inst.node.range, name,
                          f" (did you mean ${match}?)" if match else "")
    return result.value


def _on_env(inst, state, plan, lex, linter, matcher) -> None:
    for kv in inst.pairs:
        _secret(kv.key, "ENV", inst, linter)
        state.env[kv.key] = _expand(kv.value, inst, state, lex, linter)


def _on_arg(inst, state, plan, lex, linter, matcher) -> None:
    for arg in inst.args:
        _secret(arg.key, "ARG", inst, linter)
        state.args.add(arg.key)
        if arg.key in plan.build_args:
            state.env[arg.key] = plan.build_args[arg.key]
        elif arg.value is not None:
            state.env[arg.key] = _expand(arg.value, inst, state, lex, linter)
        elif arg.key in plan.global_args:
            state.env[arg.key] = plan.global_args[arg.key]


def _secret(key, instruction, inst, linter) -> None:
    if _SECRET.search(key) and not _PUBLIC.search(key):
        linter.report(R.SECRETS_USED_IN_ARG_OR_ENV, inst.node.range, instruction, key)


def _on_label(inst, state, plan, lex, linter, matcher) -> None:
    for kv in inst.pairs:
        _expand(kv.key, inst, state, lex, linter)
        _expand(kv.value, inst, state, lex, linter)
        if kv.legacy:
            linter.report(R.LEGACY_KEY_VALUE_FORMAT, inst.node.range, _raw(inst))


def _on_workdir(inst, state, plan, lex, linter, matcher) -> None:
    path = _expand(inst.path, inst, state, lex, linter)
    if not state.workdir_set and not _is_abs(path):
        linter.report(R.WORKDIR_RELATIVE_PATH, inst.node.range, path)
    state.workdir_set = True


def _is_abs(path: str) -> bool:
    # system.IsAbs also accepts Windows drive paths
    return path.startswith(("/", "\\")) or bool(re.match(r"^[A-Za-z]:[\\/]", path))


def _on_words(attr):
    def handler(inst, state, plan, lex, linter, matcher) -> None:
        value = getattr(inst, attr, ())
        for word in (value,) if isinstance(value, str) else value:
            _expand(word, inst, state, lex, linter)
    return handler


def _on_shell(inst, state, plan, lex, linter, matcher) -> None:
    state.shell = True


def _on_expose(inst, state, plan, lex, linter, matcher) -> None:
    for raw in inst.node.args:
        try:
            ports = lex.expand_words(raw, state.env)
        except DockerfileError:
            continue
        for port in ports:
            _check_port(port, inst, linter)


def _check_port(port: str, inst, linter) -> None:
    parts = port.split(":")
    ip = ":".join(parts[:-2]) if len(parts) > 2 else ""
    host = parts[-2] if len(parts) > 1 else ""
    proto = parts[-1].split("/")
    if len(proto) > 1 and proto[1] and proto[1] != proto[1].lower():
        linter.report(R.EXPOSE_PROTO_CASING, inst.node.range, port)
    if ip or host:
        linter.report(R.EXPOSE_INVALID_FORMAT, inst.node.range, port)


def _on_copy(inst, state, plan, lex, linter, matcher) -> None:
    sources = [_expand(s, inst, state, lex, linter) for s in inst.sources]
    _expand(inst.dest, inst, state, lex, linter)
    for flag in (inst.chown, inst.chmod):
        if flag:
            _expand(flag, inst, state, lex, linter)
    if matcher is None or getattr(inst, "from_", ""):
        return
    verb = "Add" if type(inst).__name__ == "Add" else "Copy"
    for src in sources:
        if src.startswith(("http://", "https://", "git@")):
            continue
        try:
            ignored = matcher.matches(src.lstrip("/"))
        except Exception:  # noqa: BLE001 - a path the matcher cannot read is not ignored
            ignored = False
        if ignored:
            linter.report(R.COPY_IGNORED_FILE, inst.node.range, verb, src)


_HANDLERS = {
    "Env": _on_env, "Arg": _on_arg, "Label": _on_label, "Workdir": _on_workdir,
    "User": _on_words("user"), "Volume": _on_words("volumes"),
    "Stopsignal": _on_words("signal"), "Shell": _on_shell, "Expose": _on_expose,
    "Copy": _on_copy, "Add": _on_copy,
}
