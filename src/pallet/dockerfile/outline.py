"""`--call=outline` and `--call=targets`: what a build takes, without building.

Data as BuildKit computes it (`dockerfile2llb/outline.go`, `convert.go: ListTargets`,
`dispatchArg`), text as BuildKit prints it (`frontend/subrequests/outline/outline.go:
PrintOutline`, `targets/targets.go: PrintTargets`, both through Go's tabwriter).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from pallet.dockerfile.instructions.env import comment_for


@dataclass(slots=True)
class ArgRow:
    name: str
    value: str
    description: str
    line: int
    deps: frozenset[str] = frozenset()


@dataclass(slots=True)
class Capture:
    """One stage's outlineCapture: declared args, used args, secrets and ssh ids."""

    all_args: dict[str, ArgRow]
    used: set[str] = field(default_factory=set)
    secrets: dict[str, tuple[bool, int]] = field(default_factory=dict)
    ssh: dict[str, tuple[bool, int]] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def clone(self) -> Capture:
        return Capture(dict(self.all_args), set(self.used), dict(self.secrets), dict(self.ssh),
                       dict(self.env))


def outline(plan) -> dict:
    """The outline of the plan's target, as BuildKit's result.json holds it."""
    from pallet.dockerfile.shell import ShellLex

    lex = ShellLex(plan.staged.dockerfile.escape)
    captures = _capture_stages(plan, lex)
    target = plan.target_stage
    out: dict = {}
    if target.name:
        out["name"] = target.name
    description = doc_comment(target.stage)
    if description:
        out["description"] = description
    _collect(out, plan, captures)
    out["sources"] = [_source_b64(plan)]
    return out


def _capture_stages(plan, lex) -> dict[int, Capture]:
    glob = Capture({k: ArgRow(k, m.value or "", m.description, m.ranges[0].start, m.deps)
                    for k, m in plan.meta_args.items()})
    captures: dict[int, Capture] = {}
    for st in plan.stages:
        base = captures.get(st.base_stage) if st.base_stage is not None else None
        cap = glob.clone() if base is None else _inherit(glob, base)
        cap.used |= set(st.from_args)
        _dispatch(cap, st.stage, plan, lex)
        captures[st.index] = cap
    return captures


def _inherit(glob: Capture, base: Capture) -> Capture:
    # BuildKit clones the base stage's capture before the base is dispatched: only the
    # global args carry over; the base's own args are reached through the base link.
    cap = glob.clone()
    cap.env = dict(base.env)
    return cap


def _dispatch(cap: Capture, stage, plan, lex) -> None:
    for inst in stage.commands:
        kind = type(inst).__name__
        if kind == "Arg":
            _dispatch_arg(cap, inst, plan, lex)
        elif kind == "Env":
            for kv in inst.pairs:
                cap.env[kv.key] = _expand(lex, kv.value, cap.env)
        elif kind == "Run":
            _dispatch_mounts(cap, inst)


def _dispatch_arg(cap: Capture, inst, plan, lex) -> None:
    line = inst.node.start_line
    for arg in inst.args:
        given = arg.key in plan.build_args
        value = arg.value
        inherited = False
        if value is None and not given and arg.key in plan.global_args:
            value, inherited = plan.global_args[arg.key], True
        if given:
            value = plan.build_args[arg.key]
        elif arg.value is not None:
            value = _expand(lex, arg.value, cap.env)
        if value is not None:
            cap.env[arg.key] = value
        if not inherited:
            cap.all_args[arg.key] = ArgRow(arg.key, value or "", arg.comment or "", line)
        cap.used.add(arg.key)


def _dispatch_mounts(cap: Capture, run) -> None:
    for mount in getattr(run, "mounts", ()) or ():
        kind = type(mount).__name__
        if kind == "SecretMount":
            cap.secrets.setdefault(mount.id, (mount.required, run.node.start_line))
        elif kind == "SshMount":
            cap.ssh.setdefault(mount.id or "default", (mount.required, run.node.start_line))


def _expand(lex, word: str, env: dict[str, str]) -> str:
    from pallet.errors import DockerfileError

    try:
        return lex.expand_word(word, env)
    except DockerfileError:
        return word


def _collect(out: dict, plan, captures: dict[int, Capture]) -> None:
    args, secrets, ssh = [], [], []
    seen_args, seen_secrets, seen_ssh = set(), set(), set()
    for cap in _walk(plan, captures):
        _mark_all_used(cap)
        args += [cap.all_args[k] for k in sorted(cap.used)
                 if k in cap.all_args and k not in seen_args and not seen_args.add(k)]
        secrets += [(k, *v) for k, v in cap.secrets.items()
                    if k not in seen_secrets and not seen_secrets.add(k)]
        ssh += [(k, *v) for k, v in cap.ssh.items() if k not in seen_ssh and not seen_ssh.add(k)]
    if args:
        out["args"] = [_arg_json(a) for a in sorted(args, key=lambda a: a.line)]
    if secrets:
        out["secrets"] = [_req_json(*s) for s in sorted(secrets, key=lambda s: s[2])]
    if ssh:
        out["ssh"] = [_req_json(*s) for s in sorted(ssh, key=lambda s: s[2])]


def _walk(plan, captures: dict[int, Capture]):
    """The target's capture, then its base's and its sources', depth first (BuildKit's
    dispatchState.args recursion)."""
    by_index = {s.index: s for s in plan.stages}
    seen: set[int] = set()
    todo = [plan.target]
    while todo:
        i = todo.pop(0)
        if i in seen:
            continue
        seen.add(i)
        yield captures[i]
        st = by_index[i]
        nxt = ([st.base_stage] if st.base_stage is not None else []) + list(st.deps)
        todo[0:0] = nxt


def _mark_all_used(cap: Capture) -> None:
    todo = list(cap.used)
    while todo:
        k = todo.pop()
        row = cap.all_args.get(k)
        for dep in row.deps if row else ():
            if dep not in cap.used:
                cap.used.add(dep)
                todo.append(dep)


def _location(line: int) -> dict:
    return {"ranges": [{"start": {"line": line}, "end": {"line": line}}]}


def _arg_json(a: ArgRow) -> dict:
    d: dict = {"name": a.name}
    if a.description:
        d["description"] = a.description
    if a.value:
        d["value"] = a.value
    d["location"] = _location(a.line)
    return d


def _req_json(name: str, required: bool, line: int) -> dict:
    d: dict = {"name": name}
    if required:
        d["required"] = True
    d["location"] = _location(line)
    return d


def _source_b64(plan_or_staged) -> str:
    staged = getattr(plan_or_staged, "staged", plan_or_staged)
    text = staged.dockerfile.source.text
    return base64.b64encode(text.encode("utf-8", "surrogateescape")).decode("ascii")


def doc_comment(stage) -> str:
    """BuildKit's getComment: the comment line above FROM that starts with "<name> "."""
    return comment_for(stage.node.comments, stage.name or "")


def list_targets(staged) -> dict:
    """BuildKit's ListTargets: every stage, unexpanded, the last one the default."""
    targets = []
    last = len(staged.stages) - 1
    for i, st in enumerate(staged.stages):
        t: dict = {}
        for key, value in (("name", st.name), ("default", i == last),
                           ("description", doc_comment(st)), ("base", st.base),
                           ("platform", st.platform)):
            if value:
                t[key] = value
        t["location"] = _location(st.node.start_line)
        targets.append(t)
    return {"Targets": targets, "Sources": [_source_b64(staged)]}


def tabulate(rows: list[list[str]], padding: int) -> str:
    """Go's text/tabwriter for rows whose cells but the last end in a tab."""
    widths = [max(len(r[j]) for r in rows) + padding for j in range(len(rows[0]) - 1)]
    lines = ["".join(c.ljust(w) for c, w in zip(r, widths)) + r[-1] for r in rows]
    return "\n".join(lines) + "\n"


def format_outline(o: dict) -> str:
    parts = []
    if o.get("name") or o.get("description"):
        rows = [["TARGET:", o.get("name") or "(default)"]]
        if o.get("description"):
            rows.append(["DESCRIPTION:", o["description"]])
        parts.append(tabulate(rows, 1) + "\n")
    if o.get("args"):
        rows = [["BUILD ARG", "VALUE", "DESCRIPTION"]]
        rows += [[a["name"], a.get("value", ""), a.get("description", "")] for a in o["args"]]
        parts.append(tabulate(rows, 3) + "\n")
    for key, title in (("secrets", "SECRET"), ("ssh", "SSH")):
        if o.get(key):
            rows = [[title, "REQUIRED"]]
            rows += [[s["name"], "true" if s.get("required") else ""] for s in o[key]]
            parts.append(tabulate(rows, 3) + "\n")
    return "".join(parts)


def format_targets(listing: dict) -> str:
    rows = [["TARGET", "DESCRIPTION"]]
    for t in listing["Targets"]:
        name = t.get("name", "")
        if t.get("default"):
            name = f"{name} (default)" if name else "(default)"
        rows.append([name, t.get("description", "")])
    return tabulate(rows, 1)


def to_json(data: dict) -> str:
    """Go's json.MarshalIndent(v, "", "  ")."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    # Go escapes these three inside strings; they cannot appear outside one.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
