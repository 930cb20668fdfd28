import pytest

from pallet.errors import OptionError
from pallet.image.changes import apply_changes

CASES = [
    (["CMD [\"sh\"]"], {"Cmd": ["sh"]}),
    (["CMD echo hi"], {"Cmd": ["/bin/sh", "-c", "echo hi"]}),
    (["ENTRYPOINT [\"/bin/app\"]", "CMD [\"--help\"]"], {"Entrypoint": ["/bin/app"], "Cmd": ["--help"]}),
    (["ENV PATH=/bin", "ENV A=1 B=\"two words\"", "ENV PATH=/sbin"], {"Env": ["PATH=/sbin", "A=1", "B=two words"]}),
    (["ENV LEGACY value with spaces"], {"Env": ["LEGACY=value with spaces"]}),
    (["WORKDIR /app", "WORKDIR sub"], {"WorkingDir": "/app/sub"}),
    (["USER nobody:nogroup"], {"User": "nobody:nogroup"}),
    (["EXPOSE 80 53/udp"], {"ExposedPorts": {"80/tcp": {}, "53/udp": {}}}),
    (["LABEL a=1 \"b c\"=2"], {"Labels": {"a": "1", "b c": "2"}}),
    (["VOLUME /data", "VOLUME [\"/a\", \"/b\"]"], {"Volumes": {"/data": {}, "/a": {}, "/b": {}}}),
    (["STOPSIGNAL SIGQUIT"], {"StopSignal": "SIGQUIT"}),
    (["onbuild RUN make"], {"OnBuild": ["RUN make"]}),
]

BAD = [
    ("RUN make", '"RUN" is not allowed'),
    ("CMD", "needs an argument"),
    ("LABEL novalue", "is not KEY=VALUE"),
    ("EXPOSE http", 'invalid port "http"'),
    ("ENV A=\"unterminated", "No closing quotation"),
]


@pytest.mark.parametrize("changes,expected", CASES, ids=[c[0][0] for c in CASES])
def test_changes(changes, expected):
    assert apply_changes({}, changes) == expected


@pytest.mark.parametrize("change,message", BAD, ids=[c[0] for c in BAD])
def test_bad_changes(change, message):
    with pytest.raises(OptionError) as exc:
        apply_changes({}, [change])
    assert message in exc.value.message
    assert change in exc.value.message
