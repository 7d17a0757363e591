"""A `palisade serve` in auth mode `identity`, started from examples/identity.toml for the
identity end-to-end test (temp data dir, a free port, the running simulated upstream, the
example policy pack linked next to the config copy, a 3-second token lifetime), plus the admin
API and CLI helpers the test drives it with."""
import json
import os
import pathlib
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass

import httpx2 as httpx  # the SDKs of this generation use httpx2 (same Client API)

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "identity.toml"
TOKEN_TTL_SECS = 3
PROVIDER_KEY = "sk-identity-e2e-provider-key"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _substitute(text: str, pattern: str, replacement: str) -> str:
    """Replace exactly one occurrence, so a changed example cannot silently leave the test
    running against a setting it did not mean (e.g. the 5-minute TTL or a relative policy dir)."""
    new, n = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert n == 1, f"examples/identity.toml: expected one match of {pattern!r}, found {n}"
    return new


def render_config(data_dir: pathlib.Path, port: int, upstream: str) -> str:
    up = upstream.removeprefix("http://")
    text = EXAMPLE.read_text()
    text = _substitute(text, r'^base_url = "http://127\.0\.0\.1:9911"$', f'base_url = "http://{up}"')
    text = _substitute(text, r'^listen = "127\.0\.0\.1:8443"$', f'listen = "127.0.0.1:{port}"')
    text = _substitute(text, r'^data_dir = "\.\./palisade-data"$', f'data_dir = "{data_dir}"')
    # `dir = "policies"` stays as written: it resolves against the config file's directory,
    # where start() links the example pack.
    assert re.search(r'^dir = "policies"$', text, flags=re.MULTILINE), "examples/identity.toml: [policy] dir changed"
    text = _substitute(text, r"^token_ttl_secs = 300$", f"token_ttl_secs = {TOKEN_TTL_SECS}")
    return text


@dataclass
class Gateway:
    bin: str
    work: pathlib.Path
    url: str
    ctx: ssl.SSLContext
    admin_secret: str
    proc: subprocess.Popen

    @property
    def data_dir(self) -> pathlib.Path:
        return self.work / "data"

    @property
    def log(self) -> str:
        return (self.work / "gateway.log").read_text(errors="replace")

    def admin(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.url, verify=self.ctx, headers={"Authorization": f"Bearer {self.admin_secret}"}
        )

    def create_identity(self, segment: str, name: str, kind: str = "agent") -> str:
        spiffe = f"spiffe://lab.example/{segment}/{name}"
        with self.admin() as a:
            r = a.post("/admin/v1/identities", json={"id": spiffe, "kind": kind, "owner": "research-platform"})
        assert r.status_code == 201, r.text
        body = r.json()
        assert (body["status"], body["segment"], body["requirements"]) == ("active", segment, ["join_token"])
        return spiffe

    def join_token(self, segment: str, name: str) -> str:
        with self.admin() as a:
            r = a.post(f"/admin/v1/identities/{segment}/{name}/join-token", json={"ttl_secs": 300})
        assert r.status_code == 201, r.text
        token = r.json()["token"]
        assert token.startswith("pjt_")
        return token

    def set_status(self, segment: str, name: str, action: str, reason: str) -> dict:
        with self.admin() as a:
            r = a.post(f"/admin/v1/identities/{segment}/{name}/{action}", json={"reason": reason})
        assert r.status_code == 200, r.text
        return r.json()

    def audit_entries(self) -> list:
        out = subprocess.run(
            [self.bin, "audit", "export", "--format", "jsonl", "--data-dir", str(self.data_dir)],
            capture_output=True, text=True, timeout=60, check=True,
        )
        return [json.loads(line)["event"] for line in out.stdout.splitlines() if line.strip()]

    def identity_cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.bin, "identity", *args, "--config", str(self.work / "identity.toml")],
            capture_output=True, text=True, timeout=60,
        )

    def metrics(self) -> dict:
        """`/metrics` samples as {"name{labels}": value}."""
        with httpx.Client(verify=self.ctx) as c:
            r = c.get(f"{self.url}/metrics")
        assert r.status_code == 200, r.text
        return {
            line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
            for line in r.text.splitlines()
            if line and not line.startswith("#")
        }

    def audit_cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.bin, "audit", *args, "--data-dir", str(self.data_dir)],
            capture_output=True, text=True, timeout=60,
        )


def start(bin_path: str, upstream: str) -> Gateway:
    work = pathlib.Path(tempfile.mkdtemp(prefix="palisade-identity-e2e-"))
    port = _free_port()
    cfg = work / "identity.toml"
    # A copy, not a link: the reload test edits the running gateway's policy directory.
    shutil.copytree(ROOT / "examples" / "policies", work / "policies")
    cfg.write_text(render_config(work / "data", port, upstream))
    subprocess.run([bin_path, "config", "check", str(cfg)], check=True, capture_output=True, timeout=60)
    env = {k: v for k, v in os.environ.items() if k != "PALISADE_MASTER_KEY"}
    subprocess.run(
        [bin_path, "vault", "put", "fake-openai-key", "--config", str(cfg)],
        input=PROVIDER_KEY, text=True, check=True, capture_output=True, timeout=60, env=env,
    )
    log = open(work / "gateway.log", "wb")
    proc = subprocess.Popen(
        [bin_path, "serve", "--config", str(cfg)], stdout=subprocess.DEVNULL, stderr=log, env=env
    )
    deadline = time.monotonic() + 30
    while "listening on" not in (work / "gateway.log").read_text(errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("gateway did not start:\n" + (work / "gateway.log").read_text(errors="replace"))
        time.sleep(0.1)
    ctx = ssl.create_default_context(cafile=str(work / "data" / "tls" / "ca.pem"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    cred = work / "data" / "admin.credential"
    assert cred.stat().st_mode & 0o077 == 0, "admin credential must be 0600"
    return Gateway(bin_path, work, f"https://localhost:{port}", ctx, cred.read_text().strip(), proc)


def stop(gw: Gateway) -> None:
    gw.proc.terminate()
    try:
        gw.proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        gw.proc.kill()
        gw.proc.wait(timeout=5)
    shutil.rmtree(gw.work, ignore_errors=True)
