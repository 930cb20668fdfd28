"""`--call=outline` and `--call=targets` data and text."""

from __future__ import annotations

import json

from pallet.dockerfile import outline
from pallet.dockerfile.frontend import resolve, stage
from pallet.dockerfile.parser import parse

DOCKERFILE = """\
ARG BASE=alpine
# VERSION the release to build
ARG VERSION=1.0
ARG UNUSED=x

# build compiles the app
FROM ${BASE}:3 AS build
ARG VERSION
# MODE how to build
ARG MODE=release
RUN --mount=type=secret,id=token,required=true --mount=type=ssh true

FROM scratch AS final
COPY --from=build /app /app
"""

OUTLINE_TEXT = """\
TARGET: final

BUILD ARG   VALUE     DESCRIPTION
BASE        alpine    
VERSION     1.0       the release to build
MODE        release   how to build

SECRET   REQUIRED
token    true

SSH       REQUIRED
default   

"""

TARGETS_TEXT = """\
TARGET          DESCRIPTION
build           compiles the app
final (default) 
"""


def staged():
    return stage(parse(DOCKERFILE))


def test_outline_text_matches_buildkit_layout():
    data = outline.outline(resolve(staged()))
    assert outline.format_outline(data) == OUTLINE_TEXT


def test_outline_of_a_target_with_build_arg_override():
    data = outline.outline(resolve(staged(), "build", {"MODE": "debug"}))
    assert data["name"] == "build" and data["description"] == "compiles the app"
    assert [(a["name"], a.get("value")) for a in data["args"]] == [
        ("BASE", "alpine"), ("VERSION", "1.0"), ("MODE", "debug")]


def test_outline_json_has_locations_and_sources():
    data = json.loads(outline.to_json(outline.outline(resolve(staged()))))
    assert data["args"][0]["location"] == {"ranges": [{"start": {"line": 1}, "end": {"line": 1}}]}
    assert data["secrets"] == [{"name": "token", "required": True, "location": {
        "ranges": [{"start": {"line": 11}, "end": {"line": 11}}]}}]
    assert len(data["sources"]) == 1


def test_unnamed_last_stage_has_no_target_heading():
    data = outline.outline(resolve(stage(parse("FROM scratch\n"))))
    assert outline.format_outline(data) == ""


def test_targets_text():
    assert outline.format_targets(outline.list_targets(staged())) == TARGETS_TEXT


def test_unnamed_default_target():
    listing = outline.list_targets(stage(parse("FROM a AS x\nFROM scratch\n")))
    assert outline.format_targets(listing).splitlines()[-1] == "(default) "


def test_json_escapes_like_go():
    assert outline.to_json({"a": "<&>"}) == '{\n  "a": "\\u003c\\u0026\\u003e"\n}'
