"""One function per instruction: update a StageState's op, config and history.

History lines follow BuildKit exactly (goldens README, "History created_by strings"):
RUN/COPY/ADD end in ` # buildkit`, values are printed with Go's fmt verbs, and only
RUN, COPY, ADD and WORKDIR make layers.
"""

from __future__ import annotations

import posixpath

from pallet.engine import goformat as go
from pallet.engine.convert import Converter, StageState
from pallet.dockerfile.args import PROXY_ARGS
from pallet.dockerfile.suggest import did_you_mean
from pallet.errors import InstructionError, PalletError
from pallet.graph.ops import Copy, CopySpec, Exec, ExecMount, Mkdir, Op, OpMeta


def dispatch(conv: Converter, state: StageState, inst) -> None:
    handler = HANDLERS.get(type(inst).__name__)
    if handler is None:
        raise InstructionError(f"{inst.keyword} is not supported here", ranges=[inst.node.range],
                               source=conv.plan.staged.dockerfile.source)
    handler(conv, state, inst)


def _history(conv: Converter, state: StageState, created_by: str, *, layer: bool) -> None:
    state.image.add_history(created_by, empty_layer=not layer, created=conv.timestamp(state))


def _meta(state: StageState, inst) -> OpMeta:
    text = " ".join(inst.node.original.split()) if inst.node.original else inst.keyword
    return OpMeta(name=state.step_name(text), ranges=(inst.node.range,), epoch=state.epoch)


# -- environment ---------------------------------------------------------------------
def _env(conv, state, inst):
    inst = inst.expand(conv.lex, state.expansion_env())
    for pair in inst.pairs:
        state.image.set_env(pair.key, pair.value)
    _history(conv, state, "ENV " + " ".join(f"{p.key}={p.value}" for p in inst.pairs), layer=False)


def _label(conv, state, inst):
    inst = inst.expand(conv.lex, state.expansion_env())
    state.image.add_labels([(p.key, p.value) for p in inst.pairs])
    _history(conv, state, "LABEL " + " ".join(f"{p.key}={p.value}" for p in inst.pairs), layer=False)


def _arg(conv, state, inst):
    written = []
    for arg in inst.args:
        if arg.key in conv.build_args:
            value = conv.build_args[arg.key]
        elif arg.value is not None:
            value = inst.word(conv.lex, state.expansion_env(), arg.value)
        else:  # a global ARG (or a predefined one) redeclared without a default
            value = conv.plan.global_args.get(arg.key)
        state.args[arg.key] = value
        written.append(arg.key if arg.value is None else f"{arg.key}={arg.value}")
    _history(conv, state, "ARG " + " ".join(written), layer=False)


# -- RUN -----------------------------------------------------------------------------
def _run_args(state: StageState, inst) -> list[str]:
    if not inst.prepend_shell:
        return list(inst.cmd)
    text = inst.cmd[0] if inst.cmd else ""
    if inst.heredocs:
        only = len(inst.heredocs) == 1 and text.strip().startswith("<<") and " " not in text.strip()
        if only:  # `RUN <<EOF`: the body is the script (dockerfile2llb dispatchRun)
            return [*state.shell(), inst.heredocs[0].content]
        # otherwise the shell reads the heredocs itself, as written
        text = text + "\n" + "".join(f"{h.content}{h.name}\n" for h in inst.heredocs)
    return [*state.shell(), text]


def _run_env(conv: Converter, state: StageState) -> list[str]:
    env = state.image.env_list()
    names = {e.partition("=")[0] for e in env}
    extra = {k: v for k, v in state.args.items() if v is not None}
    extra.update({k: v for k, v in conv.build_args.items() if k in PROXY_ARGS})
    env += [f"{k}={v}" for k, v in extra.items() if k not in names]
    if not any(e.startswith("PATH=") for e in env):
        from pallet.engine.config import DEFAULT_PATH

        env.insert(0, f"PATH={DEFAULT_PATH}")
    return env


def _run(conv, state, inst):
    inst = inst.expand(conv.lex, state.expansion_env())
    args = _run_args(state, inst)
    mounts, sources = _mounts(conv, state, inst)
    op = Exec(
        state.op, tuple(args), tuple(_run_env(conv, state)),
        cwd=state.image.config.get("WorkingDir") or "/",
        user=state.image.config.get("User") or "",
        network=inst.network or conv.network, security=inst.security or "sandbox",
        mounts=mounts, mount_sources=sources, meta=_meta(state, inst),
    )
    state.op = op
    listed = [f"{k}={v}" for k, v in state.args.items() if v is not None]
    prefix = f"|{len(listed)} " + " ".join(listed) + " " if listed else ""
    _history(conv, state, f"RUN {prefix}{' '.join(args)} # buildkit", layer=True)


def _mounts(conv, state, inst) -> tuple[tuple[ExecMount, ...], tuple[Op, ...]]:
    from pallet.engine.mounts import to_exec_mount

    mounts, sources = [], []
    for mount in inst.mounts:
        exec_mount, source = to_exec_mount(conv, state, inst, mount)
        mounts.append(exec_mount)
        sources.append(source)
    return tuple(mounts), tuple(sources)


# -- files ---------------------------------------------------------------------------
def _copy(conv, state, inst):
    inst = inst.expand(conv.lex, state.expansion_env())
    is_add = type(inst).__name__ == "Add"
    source = resolve_from(conv, state, inst, getattr(inst, "from_", "") or "")
    spec = CopySpec(
        sources=tuple(inst.sources), dest=inst.dest,
        cwd=state.image.config.get("WorkingDir") or "/",
        chown=inst.chown or None, chmod=inst.chmod or None, exclude=tuple(inst.exclude),
        parents=getattr(inst, "parents", False), link=inst.link, is_add=is_add,
        unpack=getattr(inst, "unpack", None), checksum=getattr(inst, "checksum", "") or None,
        heredocs=tuple((c.path, c.data, 0o644) for c in inst.contents),
    )
    state.op = Copy(state.op, source, spec, meta=_meta(state, inst))
    shown = [*inst.sources, *(f"<<{c.path}" for c in inst.contents)]
    _history(conv, state, f"{inst.keyword} {' '.join(shown)} {inst.dest} # buildkit", layer=True)


def resolve_from(conv: Converter, state: StageState, inst, value: str) -> Op:
    """COPY --from / mount from=: a stage (by name or index), an image, or the context."""
    if not value:
        return conv.context
    ranges = (inst.node.range,)
    from pallet.dockerfile.targets import source_ref

    ref = source_ref(value, conv.plan.all_stages, conv.stage_index, inst)
    if isinstance(ref, int):
        return conv.stage_result(ref).op
    from pallet.graph.ops import ImageSource

    try:
        resolved = conv.resolve_image(ref, state.platform, ranges)
    except PalletError as err:  # most likely a mistyped stage name: say which stages exist
        names = [n.stage.name for n in conv.plan.all_stages if n.stage.name]
        err.hint = (f'no stage is named "{value}" either{did_you_mean(value, names)}; '
                    f"stages: {', '.join(names) or 'none are named'}. {err.hint or ''}").strip()
        raise
    return ImageSource(resolved.ref, resolved.manifest_digest)


def _workdir(conv, state, inst):
    inst = inst.expand(conv.lex, state.expansion_env())
    path = inst.path
    if not path.startswith("/"):
        path = posixpath.join(state.image.config.get("WorkingDir") or "/", path)
    path = posixpath.normpath(path)
    path = "/" + path.lstrip("/")
    state.image.config["WorkingDir"] = path
    state.op = Mkdir(state.op, path, user=state.image.config.get("User") or "",
                     meta=_meta(state, inst))
    _history(conv, state, f"WORKDIR {path}", layer=True)


# -- config only ---------------------------------------------------------------------
def _user(conv, state, inst):
    inst = inst.expand(conv.lex, state.expansion_env())
    state.image.config["User"] = inst.user
    _history(conv, state, f"USER {inst.user}", layer=False)


def _volume(conv, state, inst):
    inst = inst.expand(conv.lex, state.expansion_env())
    state.image.add_volumes(list(inst.volumes))
    _history(conv, state, f"VOLUME {go.v_slice(inst.volumes)}", layer=False)


def _expose(conv, state, inst):
    from pallet.engine.ports import parse_ports

    inst = inst.expand(conv.lex, state.expansion_env())
    ports = parse_ports(inst.ports, inst)
    state.image.add_ports(ports)
    _history(conv, state, f"EXPOSE {go.v_set(ports)}", layer=False)


def _stopsignal(conv, state, inst):
    inst = inst.expand(conv.lex, state.expansion_env())
    state.image.config["StopSignal"] = inst.signal
    _history(conv, state, f"STOPSIGNAL {inst.signal}", layer=False)


def _command(state: StageState, inst) -> list[str]:
    return [*state.shell(), inst.cmd[0]] if inst.prepend_shell and inst.cmd else list(inst.cmd)


def _cmd(conv, state, inst):
    cmd = _command(state, inst)
    state.image.config["Cmd"] = cmd
    state.cmd_set = True
    _history(conv, state, f"CMD {go.q_slice(cmd)}", layer=False)


def _entrypoint(conv, state, inst):
    entrypoint = _command(state, inst)
    state.image.config["Entrypoint"] = entrypoint
    if not state.cmd_set:  # a new ENTRYPOINT drops an inherited CMD
        state.image.config["Cmd"] = None
    _history(conv, state, f"ENTRYPOINT {go.q_slice(entrypoint)}", layer=False)


def _shell(conv, state, inst):
    state.image.config["Shell"] = list(inst.shell)
    _history(conv, state, f"SHELL {go.v_slice(inst.shell)}", layer=False)


def _healthcheck(conv, state, inst):
    check: dict = {"Test": list(inst.test)}
    for field, value in (("Interval", inst.interval), ("Timeout", inst.timeout),
                         ("StartPeriod", inst.start_period),
                         ("StartInterval", inst.start_interval), ("Retries", inst.retries)):
        if value:
            check[field] = value
    state.image.config["Healthcheck"] = check
    shown = " ".join(go.quote(go.duration(v))
                     for v in (inst.interval, inst.timeout, inst.start_period))
    _history(conv, state,
             f"HEALTHCHECK &{{{go.q_slice(inst.test)} {shown} {go.q_rune(inst.retries)}}}",
             layer=False)


def _maintainer(conv, state, inst):
    state.image.author = inst.maintainer
    _history(conv, state, f"MAINTAINER {inst.maintainer}", layer=False)


def _onbuild(conv, state, inst):
    state.image.config["OnBuild"] = [*(state.image.config.get("OnBuild") or []), inst.expression]


def run_onbuild_triggers(conv: Converter, state: StageState) -> list:
    """The base image's ONBUILD triggers, as instructions; the child keeps none of them."""
    triggers = state.image.config.pop("OnBuild", None) or []
    if not triggers:
        return []
    from pallet.dockerfile.instructions import parse_instruction
    from pallet.dockerfile.parser import parse

    parsed = parse("\n".join(triggers) + "\n", name="ONBUILD")
    return [parse_instruction(node) for node in parsed.nodes]


HANDLERS = {
    "Env": _env, "Label": _label, "Arg": _arg, "Run": _run, "Copy": _copy, "Add": _copy,
    "Workdir": _workdir, "User": _user, "Volume": _volume, "Expose": _expose,
    "Stopsignal": _stopsignal, "Cmd": _cmd, "Entrypoint": _entrypoint, "Shell": _shell,
    "Healthcheck": _healthcheck, "Maintainer": _maintainer, "Onbuild": _onbuild,
}
