"""Registries for the tests, all on 127.0.0.1: Debian's docker-registry (open, htpasswd,
token auth with a token server we run) and a fake registry for misbehaviour no real one shows.

Every process started here is stopped by its PID by the fixture that started it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from pallet.testing import free_port

SERVICE = "pallet-test-registry"
ISSUER = "pallet-test-issuer"


def need_tool(name: str, package: str) -> str:
    from pallet.testing import skip_or_fail

    path = shutil.which(name)
    skip_or_fail([] if path else [f"{name} (apt-get install -y {package})"])
    return path


def wait_port(port: int, proc: subprocess.Popen, log: Path, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited {proc.returncode}: {log.read_text()[-2000:]}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"docker-registry did not listen on {port}: {log.read_text()[-2000:]}")


class Registry:
    """A docker-registry process; `auth` is the config's `auth:` section (YAML lines) or ""."""

    def __init__(self, workdir: Path, auth: str = "") -> None:
        self.workdir = workdir
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        workdir.mkdir(parents=True, exist_ok=True)
        config = workdir / "config.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: error\n  accesslog:\n    disabled: true\n"
            f"storage:\n  filesystem:\n    rootdirectory: {workdir / 'storage'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n"
            + auth
        )
        self.log = workdir / "registry.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([need_tool("docker-registry", "docker-registry"), "serve", str(config)],
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_port(self.port, self.proc, self.log)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, 9)
                self.proc.wait()


def htpasswd_auth(workdir: Path, users: dict[str, str]) -> str:
    tool = need_tool("htpasswd", "apache2-utils")
    path = workdir / "htpasswd"
    workdir.mkdir(parents=True, exist_ok=True)
    lines = [subprocess.run([tool, "-Bbn", u, p], check=True, capture_output=True, text=True).stdout.strip()
             for u, p in users.items()]
    path.write_text("\n".join(lines) + "\n")
    return f"auth:\n  htpasswd:\n    realm: basic-realm\n    path: {path}\n"


# ------------------------------------------------------------------ token server --

def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    """distribution's token flow (docs/spec/auth/token.md): a JWT signed RS256 by a
    self-signed key, with its certificate in `x5c`, which the registry trusts via
    `rootcertbundle`. Signing uses openssl, so no crypto package is needed."""

    def __init__(self, workdir: Path, users: dict[str, str]) -> None:
        self.users = users
        self.key = workdir / "token.key"
        self.cert = workdir / "token.crt"
        workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run([need_tool("openssl", "openssl"), "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", str(self.key), "-out", str(self.cert), "-days", "2",
                        "-subj", "/CN=pallet-token-issuer"], check=True, capture_output=True)
        pem = self.cert.read_text().split("-----")[2]
        self.x5c = "".join(pem.split())  # the base64 of the DER certificate
        self.requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.realm = f"http://127.0.0.1:{self.port}/token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def auth_config(self) -> str:
        return (f"auth:\n  token:\n    realm: {self.realm}\n    service: {SERVICE}\n"
                f"    issuer: {ISSUER}\n    rootcertbundle: {self.cert}\n")

    def sign(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(self.key)], input=signing_input.encode(),
                             check=True, capture_output=True).stdout
        return f"{signing_input}.{_b64url(sig)}"

    def grant(self, user: str, scopes: list[str]) -> str:
        access = []
        for scope in scopes if user else []:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        return self.sign({"iss": ISSUER, "sub": user, "aud": SERVICE, "exp": now + 300, "nbf": now - 10,
                          "iat": now, "jti": uuid.uuid4().hex, "access": access})

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):
                query = parse_qs(urlsplit(self.path).query)
                user = outer._user(self.headers.get("Authorization", ""))
                outer.requests.append({"user": user, "query": query})
                if user is None:
                    body = json.dumps({"errors": [{"code": "UNAUTHORIZED",
                                                   "message": "incorrect username or password"}]}).encode()
                    self.send_response(401)
                else:
                    token = outer.grant(user, query.get("scope", []))
                    body = json.dumps({"token": token, "access_token": token, "expires_in": 300}).encode()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def _user(self, header: str) -> str | None:
        """"" for anonymous, the name for good credentials, None for bad ones."""
        if not header.startswith("Basic "):
            return ""
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user if self.users.get(user) == password else None

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ------------------------------------------------------------------ fake registry --

class FakeRegistry:
    """http.server answering from `routes`: path -> handler(request_handler) or
    (status, headers, body). Records (method, path, headers) of every request."""

    def __init__(self) -> None:
        self.routes: dict[str, object] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _handler(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                path = urlsplit(self.path).path
                outer.requests.append((self.command, path, dict(self.headers)))
                route = outer.routes.get(path)
                if callable(route):
                    return route(self)
                status, headers, body = route or (404, {"Content-Type": "application/json"},
                                                  b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = _serve

        return Handler

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
