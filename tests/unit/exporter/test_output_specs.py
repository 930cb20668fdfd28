"""buildx's --output grammar and the checks resolve_outputs makes before a build."""

import pytest

from pallet.archive.compression import Compression
from pallet.build_options import BuildOptions
from pallet.errors import OptionError
from pallet.exporter.outputs import (
    DockerOutput,
    ImageOutput,
    LocalOutput,
    OciOutput,
    OutputEntry,
    TarOutput,
    parse_output,
    resolve_outputs,
)

PARSE_CASES = [
    ("bin", OutputEntry("local", "bin")),
    ("dest=out", OutputEntry("local", "dest=out")),  # one field, no type=: a path, as in buildx
    (".", OutputEntry("local", ".")),
    ("-", OutputEntry("tar", "-")),
    ("type=local,dest=out", OutputEntry("local", "out")),
    ("type=tar,dest=-", OutputEntry("tar", "-")),
    ("type=oci,dest=a.tar,tar=false", OutputEntry("oci", "a.tar", {"tar": "false"})),
    ("TYPE=docker,Dest=x.tar", OutputEntry("docker", "x.tar")),
    ('type=image,"name=a:1,b:2",push=true', OutputEntry("image", "", {"name": "a:1,b:2", "push": "true"})),
    ("type=image,annotation.org.opencontainers.image.title=T",
     OutputEntry("image", "", {"annotation.org.opencontainers.image.title": "T"})),
]


@pytest.mark.parametrize("text,want", PARSE_CASES, ids=[c[0] for c in PARSE_CASES])
def test_parse_output(text, want):
    assert parse_output(text) == want


@pytest.mark.parametrize("text,message", [
    ("dest=out,tar=false", "type is required for output"),
    ("type=local,dest", "invalid value dest"),
])
def test_parse_output_errors(text, message):
    with pytest.raises(OptionError) as e:
        parse_output(text)
    assert e.value.message == message
    assert e.value.hint


def resolve(*outputs, **kw):
    return resolve_outputs(BuildOptions(outputs=list(outputs), **kw))


def test_default_is_the_local_store():
    assert resolve() == [ImageOutput()]
    assert resolve(tags=["app"]) == [ImageOutput(names=("docker.io/library/app:latest",))]


def test_load_is_the_store_and_keeps_oci_media_types():
    (spec,) = resolve(load=True, tags=["app:1"])
    assert spec == ImageOutput(names=("docker.io/library/app:1",))
    assert spec.commit.oci_mediatypes


def test_local_and_tar(tmp_path):
    dest = tmp_path / "out"
    assert resolve(str(dest)) == [LocalOutput(str(dest))]
    assert resolve(f"type=local,dest={dest},platform-split=false,mode=delete") == [
        LocalOutput(str(dest), False, True)]
    assert resolve(f"type=tar,dest={tmp_path / 'fs.tar'}") == [TarOutput(str(tmp_path / "fs.tar"))]


def test_stdout_tar_when_not_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    assert resolve("-") == [TarOutput("-")]


def test_stdout_refused_on_a_terminal(monkeypatch):
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    with pytest.raises(OptionError, match="dest file is required for tar exporter. refusing to write to console"):
        resolve("-")


def test_tags_name_image_like_outputs(tmp_path):
    specs = resolve(f"type=oci,dest={tmp_path}/a.tar", f"type=docker,dest={tmp_path}/b.tar",
                    f"type=local,dest={tmp_path}/c", tags=["app:1", "reg:5000/x"])
    names = ("docker.io/library/app:1", "reg:5000/x:latest")
    assert specs[0] == OciOutput(f"{tmp_path}/a.tar", names)
    assert isinstance(specs[1], DockerOutput) and specs[1].names == names
    assert specs[1].commit.oci_mediatypes is False  # docker's default: docker media types
    assert specs[2] == LocalOutput(f"{tmp_path}/c")


def test_commit_attributes(tmp_path):
    (spec,) = resolve(f"type=oci,dest={tmp_path}/a,tar=false,compression=zstd,compression-level=19,"
                      "force-compression=true,oci-mediatypes=false,annotation.k=v")
    assert spec.tar is False
    c = spec.commit
    assert (c.compression, c.compression_level, c.force_compression) == (Compression.ZSTD, 19, True)
    assert c.oci_mediatypes is True  # zstd needs OCI media types; BuildKit switches too
    assert c.annotations == (("k", "v"),)


def test_duplicate_outputs_are_one(tmp_path):
    assert len(resolve(f"type=tar,dest={tmp_path}/a", f"type=tar,dest={tmp_path}/a")) == 1


def test_push_adds_an_image_output_or_marks_the_given_one():
    pytest.importorskip("pallet.registry.api")
    assert resolve(push=True, tags=["r:5000/a"]) == [ImageOutput(names=("r:5000/a:latest",), push=True)]
    assert resolve("type=image", push=True, tags=["r:5000/a"])[0].push
    assert resolve("type=registry", tags=["r:5000/a"])[0].push


def _error(*outputs, **kw) -> OptionError:
    with pytest.raises(OptionError) as e:
        resolve(*outputs, **kw)
    assert e.value.hint, "every output error carries a hint"
    return e.value


def test_unknown_type_did_you_mean():
    assert _error("type=locl,dest=x").message == 'output type "locl" is not supported (did you mean "local"?)'


def test_unknown_attribute_did_you_mean(tmp_path):
    err = _error(f"type=oci,dest={tmp_path}/a.tar,compresion=zstd")
    assert err.message == 'unknown attribute "compresion" for output type=oci (did you mean "compression"?)'


def test_local_dest_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    assert _error(str(f)).message == f"destination directory {f} is a file"


def test_load_and_push_together():
    assert _error(load=True, push=True, tags=["a"]).message == "push and load may not be set together at the moment"


def test_docker_exporter_with_several_platforms(tmp_path):
    err = _error(f"type=docker,dest={tmp_path}/a.tar", platforms=["linux/amd64", "linux/arm64"])
    assert err.message == "docker exporter does not currently support exporting manifest lists"
    err = _error(load=True, platforms=["linux/amd64", "linux/arm64"])  # --load is the docker exporter
    assert err.message == "docker exporter does not currently support exporting manifest lists"


def test_push_needs_a_name():
    assert _error("type=registry").message == "tag is needed when pushing to registry"


def test_iidfile_with_local_output(tmp_path):
    err = _error(str(tmp_path / "out"), iidfile=str(tmp_path / "iid"))
    assert err.message == "local and tar exporters are incompatible with image ID file"


@pytest.mark.parametrize("attr,message", [
    ("tar=maybe", 'non-bool value specified for tar: "maybe"'),
    ("compression=lz4", 'invalid compression "lz4"'),
    ("compression=estargz", 'compression "estargz" is not supported'),
    ("compression=gzip,compression-level=12", 'invalid compression-level "12" for gzip'),
])
def test_bad_attribute_values(tmp_path, attr, message):
    assert _error(f"type=oci,dest={tmp_path}/a.tar,{attr}").message == message


def test_bad_local_mode(tmp_path):
    assert _error(f"type=local,dest={tmp_path},mode=delet").message == \
        'invalid local exporter mode "delet" (did you mean "delete"?)'


def test_dest_file_is_a_directory(tmp_path):
    assert _error(f"type=oci,dest={tmp_path}").message == f"destination file {tmp_path} is a directory"
