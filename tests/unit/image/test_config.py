import json

import pytest

from pallet.image.config import History, ImageConfig, format_time, parse_time, run_config_dict
from pallet.image.descriptor import OCI_CONFIG, OCI_LAYER_GZIP, Descriptor
from pallet.image.gojson import go_marshal
from pallet.image.manifest import Index, Manifest

D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "2" * 64

GO_JSON = [
    ({"a": "<b> & c"}, b'{"a":"\\u003cb\\u003e \\u0026 c"}'),
    ({"k": "caf\u00e9"}, '{"k":"caf\u00e9"}'.encode()),
    ({"b": 1, "a": [True, None]}, b'{"b":1,"a":[true,null]}'),
]

TIMES = [
    (1672531200, "2023-01-01T00:00:00Z"),
    (1672531200.5, "2023-01-01T00:00:00.5Z"),
    (0, "1970-01-01T00:00:00Z"),
]


@pytest.mark.parametrize("value,expected", GO_JSON)
def test_go_marshal(value, expected):
    assert go_marshal(value) == expected


@pytest.mark.parametrize("epoch,text", TIMES)
def test_time_round_trip(epoch, text):
    assert format_time(epoch) == text
    assert parse_time(text) == epoch


def test_run_config_is_in_buildkit_order_with_onbuild_null():
    cfg = {"Cmd": ["sh"], "Env": ["A=1"], "Labels": {"z": "1", "a": "2"}, "User": "", "Shell": []}
    assert list(run_config_dict(cfg)) == ["Env", "Cmd", "Labels", "OnBuild"]
    assert list(run_config_dict(cfg)["Labels"]) == ["a", "z"]


def test_config_bytes_are_canonical():
    cfg = ImageConfig(
        created="2023-01-01T00:00:00Z",
        config={"Env": ["PATH=/bin"], "Cmd": ["sh"]},
        diff_ids=[D1],
        history=[History(created="2023-01-01T00:00:00Z"), History(created_by="ENV A=1", empty_layer=True)],
    )
    assert cfg.to_bytes() == (
        b'{"architecture":"amd64","config":{"Env":["PATH=/bin"],"Cmd":["sh"],"OnBuild":null},'
        b'"created":"2023-01-01T00:00:00Z","history":[{"created":"2023-01-01T00:00:00Z"},'
        b'{"created_by":"ENV A=1","empty_layer":true}],"os":"linux",'
        b'"rootfs":{"type":"layers","diff_ids":["sha256:' + b"1" * 64 + b'"]}}'
    )
    again = ImageConfig.from_bytes(cfg.to_bytes())
    assert again.to_bytes() == cfg.to_bytes()


def test_unknown_config_keys_survive():
    raw = {"architecture": "arm64", "os": "linux", "os.version": "x", "config": {"Foo": 1, "Cmd": ["a"]}}
    out = json.loads(ImageConfig.from_dict(raw).to_bytes())
    assert out["os.version"] == "x"
    assert out["config"] == {"Cmd": ["a"], "OnBuild": None, "Foo": 1}


def test_manifest_and_index_field_order():
    m = Manifest(Descriptor(OCI_CONFIG, D1, 10), [Descriptor(OCI_LAYER_GZIP, D2, 20)])
    data = m.to_bytes()
    assert data.startswith(b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType"')
    assert Manifest.from_bytes(data) == m
    idx = Index([Descriptor("application/vnd.oci.image.manifest.v1+json", D1, 5)])
    assert Index.from_bytes(idx.to_bytes()).manifests[0].digest == D1
