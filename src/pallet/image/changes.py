"""`--change` instructions for `pallet import` (docker import -c), applied to a run config.

Only the config-only Dockerfile instructions are allowed, as in docker's import
(daemon/commit.go `validCommitCommands`). They are parsed simply: JSON-array or shell form,
`K=V` pairs with shell-style quotes; there is no variable expansion and no ARG. The full
Dockerfile frontend lives in pallet.dockerfile.
"""

from __future__ import annotations

import json
import posixpath
import shlex

from pallet.errors import OptionError

ALLOWED = ("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "ONBUILD", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR")


def _bad(change: str, why: str) -> OptionError:
    return OptionError(f'invalid --change "{change}": {why}', hint="e.g. --change 'CMD [\"sh\"]' --change 'ENV K=V'")


def _words(change: str, rest: str) -> list[str]:
    try:
        return shlex.split(rest)
    except ValueError as e:
        raise _bad(change, str(e)) from None


def _json_list(rest: str) -> list[str] | None:
    if not rest.startswith("["):
        return None
    try:
        value = json.loads(rest)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _command(rest: str) -> list[str]:
    exec_form = _json_list(rest)
    return exec_form if exec_form is not None else ["/bin/sh", "-c", rest]


def _pairs(change: str, rest: str, legacy_space: bool) -> list[tuple[str, str]]:
    words = _words(change, rest)
    if legacy_space and words and "=" not in words[0]:  # `ENV K value with spaces`
        return [(words[0], rest.split(None, 1)[1] if len(words) > 1 else "")]
    pairs = []
    for word in words:
        key, eq, value = word.partition("=")
        if not eq or not key:
            raise _bad(change, f'"{word}" is not KEY=VALUE')
        pairs.append((key, value))
    return pairs


def _set_env(config: dict, pairs: list[tuple[str, str]]) -> None:
    env = list(config.get("Env") or [])
    for key, value in pairs:
        entry = f"{key}={value}"
        idx = next((i for i, e in enumerate(env) if e.split("=", 1)[0] == key), None)
        if idx is None:
            env.append(entry)
        else:
            env[idx] = entry  # BuildKit replaces in place, keeping the first position
    config["Env"] = env


def _port(change: str, word: str) -> str:
    port, _, proto = word.partition("/")
    if not port.replace("-", "").isdigit():
        raise _bad(change, f'invalid port "{word}"')
    return f"{port}/{(proto or 'tcp').lower()}"


def apply_change(config: dict, change: str) -> None:
    keyword, _, rest = change.strip().partition(" ")
    keyword, rest = keyword.upper(), rest.strip()
    if keyword not in ALLOWED:
        raise _bad(change, f'"{keyword}" is not allowed (allowed: {", ".join(ALLOWED)})')
    if not rest:
        raise _bad(change, f"{keyword} needs an argument")
    if keyword in ("CMD", "ENTRYPOINT"):
        # An ENTRYPOINT keeps a CMD set by an earlier --change (docker's builder resets
        # only an inherited CMD, and an imported image inherits nothing).
        config["Cmd" if keyword == "CMD" else "Entrypoint"] = _command(rest)
    elif keyword == "ENV":
        _set_env(config, _pairs(change, rest, legacy_space=True))
    elif keyword == "LABEL":
        config["Labels"] = {**(config.get("Labels") or {}), **dict(_pairs(change, rest, legacy_space=False))}
    elif keyword == "EXPOSE":
        ports = {_port(change, w): {} for w in _words(change, rest)}
        config["ExposedPorts"] = {**(config.get("ExposedPorts") or {}), **ports}
    elif keyword == "VOLUME":
        paths = _json_list(rest) or _words(change, rest)
        config["Volumes"] = {**(config.get("Volumes") or {}), **{p: {} for p in paths}}
    elif keyword == "WORKDIR":
        config["WorkingDir"] = posixpath.normpath(posixpath.join(config.get("WorkingDir") or "/", rest))
    elif keyword == "ONBUILD":
        config["OnBuild"] = [*(config.get("OnBuild") or []), rest]
    else:  # USER, STOPSIGNAL: the text as written
        config["User" if keyword == "USER" else "StopSignal"] = rest


def apply_changes(config: dict, changes: list[str]) -> dict:
    out = dict(config)
    for change in changes:
        apply_change(out, change)
    return out
