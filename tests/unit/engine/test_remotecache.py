"""Remote build cache: the --cache-to/--cache-from grammar and the cache format (pure parts)."""

from __future__ import annotations

import base64
import json

import pytest

from pallet.engine.remotecache.config import (
    ANNOTATION_UNCOMPRESSED,
    CACHE_CONFIG,
    INLINE_FIELD,
    BlobRef,
    decode_config,
    decode_inline,
    encode_config,
    merge,
    split_manifest,
    to_inline,
    to_layers,
    to_manifest,
)
from pallet.engine.remotecache.export import collect, inline_fields
from pallet.engine.remotecache.import_ import ImportedRecords, read_records
from pallet.engine.remotecache.spec import CacheExport, CacheImport, parse_cache_from, parse_cache_to
from pallet.errors import OptionError
from pallet.graph.ops import Exec, ImageSource
from pallet.image.descriptor import OCI_INDEX, Descriptor
from pallet.image.digest import sha256_digest
from pallet.image.manifest import Index
from pallet.solver.result import Layer, Result

# ------------------------------------------------------------------- grammar --

GOOD_TO = [
    ("type=registry,ref=localhost:5000/app:cache,mode=max",
     CacheExport("registry", ref="localhost:5000/app:cache", mode="max")),
    ("localhost:5000/app:cache", CacheExport("registry", ref="localhost:5000/app:cache")),
    ("type=registry,ref=127.0.0.1:5000/app", CacheExport("registry", ref="127.0.0.1:5000/app:latest")),
    ("type=local,dest=/tmp/c", CacheExport("local", path="/tmp/c")),
    ("type=local,dest=/tmp/c,tag=v1,mode=max,ignore-error=true",
     CacheExport("local", path="/tmp/c", tag="v1", mode="max", ignore_error=True)),
    ("type=inline", CacheExport("inline")),
    ("type=registry,ref=r.example/a:c,image-manifest=true,oci-mediatypes=true,compression=zstd",
     CacheExport("registry", ref="r.example/a:c")),
]

GOOD_FROM = [
    ("type=registry,ref=localhost:5000/app:cache", CacheImport("registry", ref="localhost:5000/app:cache")),
    ("user/app:cache", CacheImport("registry", ref="docker.io/user/app:cache")),
    ("type=local,src=/tmp/c", CacheImport("local", path="/tmp/c")),
    ("type=local,src=/tmp/c,tag=v1,digest=sha256:" + "a" * 64,
     CacheImport("local", path="/tmp/c", tag="v1", digest="sha256:" + "a" * 64)),
]

BAD = [
    ("to", "type=regsitry,ref=x/y:z", 'unknown cache type "regsitry" for --cache-to (did you mean "registry"?)'),
    ("to", "type=registry,ref=x/y:z,mdoe=max", 'unknown attribute "mdoe" for --cache-to type=registry'
                                              ' (did you mean "mode"?)'),
    ("to", "type=registry,ref=x/y:z,mode=maxx", 'invalid mode "maxx" for --cache-to (did you mean "max"?)'),
    ("to", "type=registry,mode=max", "ref required for registry cache (--cache-to)"),
    ("to", "type=local", "dest required for local cache exporter"),
    ("to", "type=local,src=/x", 'unknown attribute "src" for --cache-to type=local'),
    ("to", "type=gha", 'cache type "gha" is not supported by pallet'),
    ("to", "type=inline,mode=max", "inline cache does not support mode=max"),
    ("to", "ref=x/y:z", 'type required for --cache-to "ref=x/y:z"'),
    ("to", "type=registry,ref=x/y:z,ignore-error=maybe", 'non-bool value specified for ignore-error: "maybe"'),
    ("to", "type=registry,ref=UPPER/Case", 'invalid cache ref "UPPER/Case"'),
    ("from", "type=local,dest=/x", 'unknown attribute "dest" for --cache-from type=local'),
    ("from", "type=local", "src required for local cache importer"),
    ("from", "type=inline", "--cache-from type=inline is not a cache source"),
    ("from", "type=locl,src=/x", 'unknown cache type "locl" for --cache-from (did you mean "local"?)'),
]


@pytest.mark.parametrize("text,want", GOOD_TO, ids=[t for t, _ in GOOD_TO])
def test_parse_cache_to(text, want):
    assert parse_cache_to([text]) == [want]


@pytest.mark.parametrize("text,want", GOOD_FROM, ids=[t for t, _ in GOOD_FROM])
def test_parse_cache_from(text, want):
    assert parse_cache_from([text]) == [want]


@pytest.mark.parametrize("flag,text,message", BAD, ids=[t for _, t, _ in BAD])
def test_bad_cache_flags_name_the_problem(flag, text, message):
    parse = parse_cache_to if flag == "to" else parse_cache_from
    with pytest.raises(OptionError) as info:
        parse([text])
    assert info.value.message.startswith(message), info.value.message
    assert info.value.hint


def test_empty_values_are_ignored():
    assert parse_cache_to(["", " "]) == [] and parse_cache_from([""]) == []


# ------------------------------------------------------------------- format --


def blob(n: int) -> BlobRef:
    return BlobRef(f"sha256:{n:064x}", f"sha256:{n + 1000:064x}", 100 + n, "application/vnd.oci.image.layer.v1.tar+gzip")


KEY_A, KEY_B, KEY_C = (f"sha256:{c * 64}" for c in "abc")
RECORDS = {KEY_A: (blob(1), blob(2)), KEY_B: (blob(1), blob(2), blob(3)), KEY_C: (blob(1), blob(4))}


def roundtrip(records):
    config, blobs = encode_config(records)
    manifest = to_manifest(config, sha256_digest(config), blobs)
    parts = split_manifest(manifest.to_bytes(), manifest.media_type)
    assert parts is not None and parts[0].media_type == CACHE_CONFIG
    return decode_config(config, parts[1]), manifest


def test_records_survive_a_roundtrip_through_manifest_and_config():
    back, manifest = roundtrip(RECORDS)
    assert back == RECORDS
    # every blob once, each described with its diff_id, as BuildKit annotates them
    assert [d.digest for d in manifest.layers] == [blob(n).digest for n in (1, 2, 3, 4)]
    assert manifest.layers[0].annotations == {ANNOTATION_UNCOMPRESSED: blob(1).diff_id}


def test_config_is_buildkits_shape_and_deterministic():
    config, _ = encode_config(RECORDS)
    assert config == encode_config(dict(reversed(list(RECORDS.items()))))[0]
    doc = json.loads(config)
    assert doc["layers"][:2] == [{"blob": blob(1).digest, "parent": -1}, {"blob": blob(2).digest, "parent": 0}]
    assert doc["records"][0] == {"digest": KEY_A, "results": [{"layer": 1}]}


def test_buildkits_older_index_form_is_read_too():
    config, blobs = encode_config(RECORDS)
    cfg = Descriptor(CACHE_CONFIG, sha256_digest(config), len(config))
    index = Index([*(b.descriptor() for b in blobs), cfg])
    parts = split_manifest(index.to_bytes(), OCI_INDEX)
    assert decode_config(config, parts[1]) == RECORDS


def test_an_image_manifest_is_not_a_cache_manifest():
    from pallet.image.manifest import Manifest

    m = Manifest(Descriptor("application/vnd.oci.image.config.v1+json", blob(9).digest, 10), [])
    assert split_manifest(m.to_bytes(), m.media_type) is None


def test_records_with_broken_links_or_unknown_blobs_are_dropped_not_fatal():
    config = json.dumps({"layers": [{"blob": blob(1).digest, "parent": 5}, {"blob": blob(2).digest, "parent": 1}],
                         "records": [{"digest": KEY_A, "results": [{"layer": 0}]},
                                     {"digest": KEY_B, "results": [{"layer": 1}]},
                                     {"digest": KEY_C}, "junk"]}).encode()
    assert decode_config(config, [blob(1).descriptor(), blob(2).descriptor()]) == {}


def test_merge_keeps_both_builds_records_and_prefers_the_new_chain():
    old = {KEY_A: (blob(1),), KEY_B: (blob(2),)}
    new = {KEY_B: (blob(3),), KEY_C: (blob(4),)}
    assert merge(old, new) == {KEY_A: (blob(1),), KEY_B: (blob(3),), KEY_C: (blob(4),)}


def test_inline_cache_refers_to_the_images_layers_by_position():
    chain = tuple(Layer("s", b.diff_id, b.digest, b.size, b.media_type) for b in (blob(1), blob(2), blob(3)))
    records = {KEY_A: (blob(1), blob(2)), KEY_B: (blob(1), blob(2), blob(3))}
    value = to_inline(records, chain)
    assert json.loads(base64.b64decode(value))["records"] == [
        {"digest": KEY_A, "results": [{"layer": 1}]}, {"digest": KEY_B, "results": [{"layer": 2}]}]
    layers = [b.descriptor() for b in (blob(1), blob(2), blob(3))]
    assert decode_inline(value, layers, [b.diff_id for b in (blob(1), blob(2), blob(3))]) == records


def test_imported_layers_get_the_worker_snapshot_names():
    """A step's layer is `sha256-<its key>` (LocalWorker._commit); a base layer is
    `chain-<chain id>` (snapshot/unpack.py), so a local base image is reused."""
    from pallet.graph.digest import digest_of

    layers = to_layers(RECORDS)
    assert [x.snapshot for x in layers[KEY_B]] == [
        "chain-" + blob(1).diff_id.split(":")[1], "sha256-" + "a" * 64, "sha256-" + "b" * 64]
    chain2 = digest_of([blob(1).diff_id, blob(4).diff_id])
    assert layers[KEY_C][1].snapshot == "sha256-" + "c" * 64 and chain2


# ------------------------------------------------------------- which records --

BASE = ImageSource(ref="docker.io/library/busybox:local", manifest_digest=blob(0).digest)
BUILDER = Exec(BASE, ("make",), ())
BUILDER2 = Exec(BUILDER, ("make", "install"), ())
FINAL1 = Exec(BASE, ("true",), ())
FINAL2 = Exec(FINAL1, ("cp",), (), mount_sources=(BUILDER2,))


def fake_solve():
    results = {}
    for n, op in enumerate([BUILDER, BUILDER2, FINAL1, FINAL2], 1):
        results[op.digest()] = Result(f"sha256:{n:064x}", tuple(
            Layer(f"s{i}", blob(i).diff_id, blob(i).digest, 1) for i in range(n + 1)))
    results[BASE.digest()] = Result("sha256:" + "f" * 64, (Layer("base", blob(0).diff_id, blob(0).digest, 1),))
    return lambda op: results[op.digest()]


def test_mode_min_is_the_final_chain_and_max_every_stage():
    solve = fake_solve()
    assert set(collect(solve, FINAL2, "min")) == {solve(FINAL1).key, solve(FINAL2).key}
    assert set(collect(solve, FINAL2, "max")) == {solve(op).key for op in (BUILDER, BUILDER2, FINAL1, FINAL2)}


def test_inline_fields_carry_the_min_records():
    solve = fake_solve()
    fields = inline_fields(solve, FINAL2, solve(FINAL2))
    doc = json.loads(base64.b64decode(fields[INLINE_FIELD]))
    assert {r["digest"] for r in doc["records"]} == {solve(FINAL1).key, solve(FINAL2).key}


# ------------------------------------------------------------------ importing --


class DictStore:
    """A cache store in memory: manifest + blobs; counts fetches."""

    def __init__(self, records):
        config, blobs = encode_config(records)
        self.config = config
        self.manifest = to_manifest(config, sha256_digest(config), blobs)
        self.fetched = []

    def read(self, reference=""):
        return self.manifest.to_bytes(), self.manifest.media_type

    def read_blob(self, desc):
        assert desc.digest == sha256_digest(self.config)
        return self.config

    def fetch(self, b, store):
        self.fetched.append(b.digest)


def test_imported_records_fetch_lazily_from_their_source():
    store = DictStore(RECORDS)
    imported = ImportedRecords()
    imported.add(read_records(store), store)
    assert len(imported) == 3 and store.fetched == []
    assert imported.get(KEY_B)[-1].digest == blob(3).digest and imported.can_fetch(blob(3).digest)
    imported.fetch(blob(3).digest, object())
    assert store.fetched == [blob(3).digest]
    assert imported.get("sha256:" + "0" * 64) is None and not imported.can_fetch(blob(99).digest)


class ImageIndexStore:
    """A pushed multi-platform image whose configs carry inline cache: {platform: records}."""

    def __init__(self, per_platform):
        from pallet.engine.remotecache.config import INLINE_FIELD
        from pallet.image.descriptor import OCI_CONFIG, OCI_MANIFEST
        from pallet.image.manifest import Manifest
        from pallet.image.platform import parse_platform

        self.docs, entries = {}, []
        for platform, records in per_platform.items():
            chain = tuple(Layer("s", b.diff_id, b.digest, b.size, b.media_type)
                          for b in max(records.values(), key=len))
            config = json.dumps({INLINE_FIELD: to_inline(records, chain),
                                 "rootfs": {"diff_ids": [layer.diff_id for layer in chain]}}).encode()
            self.docs[sha256_digest(config)] = config
            manifest = Manifest(Descriptor(OCI_CONFIG, sha256_digest(config), len(config)),
                                [b.descriptor() for b in max(records.values(), key=len)]).to_bytes()
            self.docs[sha256_digest(manifest)] = manifest
            entries.append(Descriptor(OCI_MANIFEST, sha256_digest(manifest), len(manifest),
                                      platform=parse_platform(platform)))
        self.index = Index(entries).to_bytes()

    def read(self, reference=""):
        if not reference:
            return self.index, OCI_INDEX
        return self.docs[reference], "application/vnd.oci.image.manifest.v1+json"

    def read_blob(self, desc):
        return self.docs[desc.digest]


def test_inline_cache_of_every_built_platform_is_read_from_an_index():
    from pallet.errors import NotFoundError
    from pallet.image.platform import parse_platform

    amd64, arm64 = {KEY_A: (blob(1), blob(2))}, {KEY_B: (blob(5),)}
    store = ImageIndexStore({"linux/amd64": amd64, "linux/arm64": arm64})
    both = [parse_platform("linux/amd64"), parse_platform("linux/arm64")]
    assert read_records(store, both) == {**amd64, **arm64}
    # a platform the image lacks builds without cache; the others still hit
    assert read_records(store, [parse_platform("linux/riscv64"), both[1]]) == arm64
    with pytest.raises(NotFoundError, match="no image for platform linux/riscv64"):
        read_records(store, [parse_platform("linux/riscv64")])
