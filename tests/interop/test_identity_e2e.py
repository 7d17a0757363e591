"""End to end, identity mode (issue 3's proof): the official openai SDK through the
palisade_client package against `palisade serve` running examples/identity.toml (policy pack,
inspection, behaviour, sync audit) in front of the simulated upstream. Enroll with a join token,
call (JSON and stream), refresh before expiry, outlive a token and re-enroll, get revoked
mid-session and be refused on the next call; a copied token without its DPoP key is worthless;
the audit log records it all.

The identity is an `agent` in segment `research` holding only a join token: the pack
(examples/policies) permits it to call `research` models (`own-segment`); `principal-must-be-
attested` is satisfied by the join token and `vendor-needs-provenance` does not apply to agents."""
import base64
import json
import os
import signal
import time

import httpx2 as httpx
import openai
import pytest

import identity_gateway
from conftest import CANNED, upstream_requests
from identity_gateway import PROVIDER_KEY, ROOT, TOKEN_TTL_SECS
from palisade_client import DpopKey, EnrollmentError, PalisadeAuth

LEEWAY_SECS = 5  # [identity] leeway_secs in examples/identity.toml
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
STREAM_PARTS = ["Hello", " from", " the", " simulated", " upstream."]


@pytest.fixture(scope="module")
def gw():
    bin_path = os.environ.get("PALISADE_BIN", str(ROOT / "target" / "debug" / "palisade"))
    assert os.access(bin_path, os.X_OK), f"palisade binary not found at {bin_path} (set PALISADE_BIN)"
    g = identity_gateway.start(bin_path, os.environ["PALISADE_UPSTREAM"])
    try:
        yield g
    finally:
        log = g.log
        identity_gateway.stop(g)
        # Secrets never reach the gateway's logs.
        for secret in (PROVIDER_KEY, g.admin_secret):
            assert secret not in log
        assert "pjt_" not in log, "a join token reached the gateway log"


class Session:
    """An agent's SDK session: the auth, the SDK client, and every Authorization it sent."""

    def __init__(self, gw, spiffe, evidence, refresh_margin=1.0):
        self.sent = []
        self.auth = PalisadeAuth(gw.url, spiffe, evidence=evidence, verify=gw.ctx, refresh_margin=refresh_margin)
        http = httpx.Client(
            auth=self.auth, verify=gw.ctx,
            event_hooks={"request": [lambda r: self.sent.append(r.headers.get("authorization", ""))]},
        )
        self.oai = openai.OpenAI(base_url=f"{gw.url}/v1", api_key="unused", http_client=http, max_retries=0)

    def chat(self) -> str:
        r = self.oai.chat.completions.create(**CHAT)
        return r.choices[0].message.content

    def last_token(self) -> str:
        scheme, token = self.sent[-1].split(" ", 1)
        assert scheme == "DPoP"
        return token


def claims(token: str) -> dict:
    """The JWT's payload, unverified (only to read `exp`; the gateway is what verifies)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def assert_upstream_got_vault_key_only(token: str):
    req = upstream_requests()[-1]
    assert req["path"] == "/v1/chat/completions" and req["body"]["model"] == "fake-gpt"
    assert req["headers"]["authorization"] == f"Bearer {PROVIDER_KEY}"
    assert "dpop" not in {k.lower() for k in req["headers"]}
    assert token not in json.dumps(req)


def raw_chat(gw, headers) -> httpx.Response:
    with httpx.Client(verify=gw.ctx) as c:
        return c.post(f"{gw.url}/v1/chat/completions", json=CHAT, headers=headers)


def test_enroll_call_refresh_expire_revoke(gw):
    spiffe = gw.create_identity("research", "e2e-agent")
    minted = []

    def evidence(nonce, binding):
        # A bootstrap orchestrator hands the workload a fresh one-time join token per enrollment.
        minted.append(gw.join_token("research", "e2e-agent"))
        return [{"kind": "join_token", "token": minted[-1]}]

    s = Session(gw, spiffe, evidence)

    # 1. Enroll on first use, then call: JSON and stream, both from the simulated upstream.
    assert s.chat() == CANNED
    t0 = s.last_token()
    assert (s.auth.enrollments, s.auth.refreshes) == (1, 0)
    c0 = claims(t0)
    assert c0["sub"] == spiffe and c0["segment"] == "research" and c0["att"] == ["join_token"]
    assert c0["exp"] - c0["iat"] == TOKEN_TTL_SECS and "jkt" in c0["cnf"]
    assert_upstream_got_vault_key_only(t0)
    stream = s.oai.chat.completions.create(**CHAT, stream=True)
    chunks = list(stream)
    parts = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    # [inspect] scans the streamed text with a held-back window (stream_window, 512 bytes), so
    # the upstream's five small deltas reach the caller re-chunked; the text is unchanged.
    assert "".join(parts) == "".join(STREAM_PARTS) == CANNED and len(chunks) >= 2
    assert s.last_token() == t0, "a live token is reused"

    # 2. Keep calling across several token lifetimes: the client refreshes within its margin,
    #    same key, no new evidence; every refreshed token is accepted.
    for _ in range(5):
        time.sleep(1.0)
        assert s.chat() == CANNED
    used = list(dict.fromkeys(a.split(" ", 1)[1] for a in s.sent))
    assert s.auth.enrollments == 1 and len(minted) == 1, "refresh needs no new evidence"
    assert s.auth.refreshes >= 2, s.auth.refreshes
    assert len(used) == s.auth.refreshes + 1 and used[0] == t0
    assert all(claims(t)["cnf"] == c0["cnf"] for t in used), "refresh keeps the key binding"

    # 3. Let t0 expire (lifetime + leeway): with a valid proof of the right key it is refused,
    #    and it cannot be refreshed either.
    # Also past the client's current token's expiry, so step 4 finds it dead however slow step 2 was.
    time.sleep(max(0.0, c0["exp"] + LEEWAY_SECS + 1 - time.time(), claims(s.last_token())["exp"] + 0.5 - time.time()))
    url = f"{gw.url}/v1/chat/completions"
    r = raw_chat(gw, {"Authorization": f"DPoP {t0}", "DPoP": s.auth.key.proof("POST", url, access_token=t0)})
    assert r.status_code == 401 and r.json()["error"]["message"] == "access token expired"
    assert r.json()["error"]["type"] == "authentication_error"
    refresh_url = f"{gw.url}/v1/enroll/refresh"
    with httpx.Client(verify=gw.ctx) as c:
        r = c.post(refresh_url, headers={
            "Authorization": f"DPoP {t0}", "DPoP": s.auth.key.proof("POST", refresh_url, access_token=t0)})
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_expired"

    # 4. The client's own token has expired meanwhile: the next call re-enrolls with fresh
    #    evidence (a refresh of a dead token is not attempted) and goes through.
    assert s.chat() == CANNED
    assert s.auth.enrollments == 2 and len(minted) == 2

    # 5. The join token is one-time: replaying the used one is refused at enrollment.
    replay = PalisadeAuth(gw.url, spiffe, evidence=[{"kind": "join_token", "token": minted[0]}], verify=gw.ctx)
    with pytest.raises(EnrollmentError) as e:
        replay.enroll()
    assert (e.value.status, e.value.code) == (401, "join_token_used")

    # 6. Revoked mid-session: the client holds a fresh, valid token; the very next call is
    #    refused with 403 in OpenAI's format, and nothing reaches the upstream.
    assert s.auth.refresh()
    before = len(upstream_requests())
    rec = gw.set_status("research", "e2e-agent", "revoke", "e2e: key material suspected stolen")
    assert rec["status"] == "revoked" and rec["history"][-1]["reason"] == "e2e: key material suspected stolen"
    with pytest.raises(openai.PermissionDeniedError) as denied:
        s.chat()
    err = denied.value
    assert err.status_code == 403
    assert err.body["message"] == "identity is revoked" and err.body["type"] == "permission_error"
    revoked_request_id = err.response.headers["x-request-id"]
    assert len(upstream_requests()) == before, "a revoked identity's call reached the upstream"

    # ... and it cannot get back in: no refresh, no join token, no enrollment.
    assert not s.auth.refresh()
    with gw.admin() as a:
        r = a.post("/admin/v1/identities/research/e2e-agent/join-token", json={"ttl_secs": 60})
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
    with pytest.raises(EnrollmentError) as e:
        PalisadeAuth(gw.url, spiffe, evidence=[{"kind": "join_token", "token": minted[-1]}], verify=gw.ctx).enroll()
    assert (e.value.status, e.value.code) == (403, "identity_revoked")

    # 7. The audit log (sync mode) has the session, in order, and verifies.
    events = gw.audit_entries()
    allowed = [ev for ev in events if ev["event_type"] == "request" and ev["identity"] == spiffe]
    assert len(allowed) >= 8 and all(ev["status"] == 200 and ev["decision"] == "allow" for ev in allowed)
    assert all("own-segment" in ev["policy_ids"] and ev["upstream"] == "fake-openai" for ev in allowed)
    actions = [(ev["action"], ev["status"]) for ev in events if ev["event_type"] == "control"]
    assert actions.count(("POST /v1/enroll", 200)) >= 2
    assert actions.count(("POST /v1/enroll/refresh", 200)) == s.auth.refreshes
    assert ("POST /v1/enroll/refresh", 401) in actions
    revoke_at = next(i for i, ev in enumerate(events)
                     if ev["action"] == "POST /admin/v1/identities/research/e2e-agent/revoke")
    assert events[revoke_at]["status"] == 200
    refused = [i for i, ev in enumerate(events) if ev["request_id"] == revoked_request_id]
    assert len(refused) == 1 and refused[0] > revoke_at
    assert (events[refused[0]]["decision"], events[refused[0]]["status"]) == ("deny", 403)
    verify = gw.audit_cli("verify", "--self-consistency-only")
    assert verify.returncode == 0 and "\nok:" in verify.stdout and "ONLY self-consistency" in verify.stdout, verify.stdout + verify.stderr
    tail = gw.audit_cli("tail", "-n", "10")
    assert tail.returncode == 0 and revoked_request_id in tail.stdout


def test_copied_token_without_the_dpop_key_is_worthless(gw):
    spiffe = gw.create_identity("research", "e2e-copied")
    s = Session(gw, spiffe, [{"kind": "join_token", "token": gw.join_token("research", "e2e-copied")}],
                refresh_margin=0.5)
    assert s.chat() == CANNED
    stolen = s.last_token()
    url = f"{gw.url}/v1/chat/completions"
    before = len(upstream_requests())

    # The thief pastes it into the SDK as an API key (Bearer): refused.
    thief = openai.OpenAI(base_url=f"{gw.url}/v1", api_key=stolen,
                          http_client=httpx.Client(verify=gw.ctx), max_retries=0)
    with pytest.raises(openai.AuthenticationError) as e:
        thief.chat.completions.create(**CHAT)
    assert e.value.status_code == 401
    assert e.value.body["message"] == "a DPoP-bound token must use the DPoP authorization scheme"

    # Right scheme, no proof: refused.
    r = raw_chat(gw, {"Authorization": f"DPoP {stolen}"})
    assert r.status_code == 401 and r.json()["error"]["message"] == "DPoP proof missing"

    # Right scheme, a valid proof by the thief's own key: refused (cnf.jkt mismatch).
    own = DpopKey()
    r = raw_chat(gw, {"Authorization": f"DPoP {stolen}", "DPoP": own.proof("POST", url, access_token=stolen)})
    assert r.status_code == 401
    assert r.json()["error"]["message"] == "DPoP proof key does not match the token's key binding"

    # Replaying the owner's own proof (captured with the token) is refused too.
    proof = s.auth.key.proof("POST", url, access_token=stolen)
    assert raw_chat(gw, {"Authorization": f"DPoP {stolen}", "DPoP": proof}).status_code == 200
    r = raw_chat(gw, {"Authorization": f"DPoP {stolen}", "DPoP": proof})
    assert r.status_code == 401 and "replay" in r.json()["error"]["message"].lower(), r.text

    assert len(upstream_requests()) == before + 1, "only the owner's one legitimate call went upstream"
    # The owner is unaffected.
    assert s.chat() == CANNED


def test_suspend_takes_effect_on_the_next_call_and_release_restores(gw):
    spiffe = gw.create_identity("research", "e2e-suspended")
    s = Session(gw, spiffe, [{"kind": "join_token", "token": gw.join_token("research", "e2e-suspended")}],
                refresh_margin=0.5)
    assert s.chat() == CANNED
    assert s.auth.refresh()  # a fresh token: what follows is status, not expiry
    gw.set_status("research", "e2e-suspended", "suspend", "e2e: investigation")
    with pytest.raises(openai.PermissionDeniedError) as e:
        s.chat()
    assert e.value.body["message"] == "identity is suspended"
    gw.set_status("research", "e2e-suspended", "release", "e2e: cleared")
    assert s.chat() == CANNED


def test_admin_api_requires_the_admin_credential(gw):
    with httpx.Client(base_url=gw.url, verify=gw.ctx) as c:
        for headers in ({}, {"Authorization": "Bearer not-the-admin-credential"}):
            r = c.post("/admin/v1/identities/research/e2e-agent/release", json={"reason": "x"}, headers=headers)
            assert r.status_code == 401 and r.json()["error"]["code"] == "admin_unauthorized"


def test_refusals_carry_palisades_precise_error_code(gw):
    spiffe = gw.create_identity("research", "e2e-codes")
    s = Session(gw, spiffe, [{"kind": "join_token", "token": gw.join_token("research", "e2e-codes")}],
                refresh_margin=0.5)
    assert s.chat() == CANNED
    token = s.last_token()
    r = raw_chat(gw, {"Authorization": f"DPoP {token}"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "dpop_missing"
    assert s.auth.refresh()
    gw.set_status("research", "e2e-codes", "revoke", "e2e: codes")
    with pytest.raises(openai.PermissionDeniedError) as e:
        s.chat()
    assert e.value.body["code"] == "identity_revoked"


def test_cli_status_change_on_the_running_gateways_store_applies_to_the_next_call(gw):
    """An operator's `palisade identity quarantine|release` (the CLI writes the data dir's
    store directly) takes effect on the running gateway's very next request of that identity."""
    spiffe = gw.create_identity("research", "e2e-cli")
    s = Session(gw, spiffe, [{"kind": "join_token", "token": gw.join_token("research", "e2e-cli")}],
                refresh_margin=0.5)
    assert s.chat() == CANNED
    assert s.auth.refresh()
    out = gw.identity_cli("quarantine", "research/e2e-cli", "--reason", "e2e: operator on the CLI")
    assert out.returncode == 0, out.stderr
    with pytest.raises(openai.PermissionDeniedError) as e:
        s.chat()
    assert e.value.body["message"] == "identity is quarantined"
    shown = gw.identity_cli("show", "research/e2e-cli")
    assert shown.returncode == 0 and "quarantined" in shown.stdout and "e2e: operator on the CLI" in shown.stdout
    out = gw.identity_cli("release", "research/e2e-cli", "--reason", "e2e: cleared on the CLI")
    assert out.returncode == 0, out.stderr
    assert s.auth.refresh()
    assert s.chat() == CANNED


def _wait_metrics(gw, ready, what: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        m = gw.metrics()
        if ready(m):
            return m
        assert time.monotonic() < deadline, f"{what}: {m}"
        time.sleep(0.2)


def test_sighup_reload_refuses_a_bad_set_counts_it_and_keeps_serving(gw):
    """Issue 4's rollout: a bad policy file is refused on SIGHUP (and by the file watcher),
    counted in /metrics, and the old set keeps deciding; a good set then replaces it."""
    before = gw.metrics()
    generation = before["palisade_policy_generation"]
    failed = before['palisade_policy_reloads_total{result="failed"}']
    ok = before['palisade_policy_reloads_total{result="ok"}']
    assert before['palisade_policy_decisions_total{decision="allow"}'] >= 1  # earlier tests' calls
    assert before["palisade_audit_entries"] >= 1 and before["palisade_audit_failed"] == 0
    assert before["palisade_audit_rejected_total"] == 0

    bad = gw.work / "policies" / "99-broken.cedar"
    bad.write_text('@id("broken")\npermit (principal, action, resource) when { context.nope };\n')
    try:
        gw.proc.send_signal(signal.SIGHUP)
        m = _wait_metrics(gw, lambda m: m['palisade_policy_reloads_total{result="failed"}'] > failed, "refused reload not counted")
        assert m["palisade_policy_generation"] == generation, "a refused set must not be swapped in"
        assert "99-broken.cedar" in gw.log
        # The old set still decides: an enrolled agent's call in its own segment passes.
        spiffe = gw.create_identity("research", "reload-agent")
        token = gw.join_token("research", "reload-agent")
        s = Session(gw, spiffe, [{"kind": "join_token", "token": token}])
        assert s.chat() == CANNED
    finally:
        bad.unlink()
    gw.proc.send_signal(signal.SIGHUP)
    m = _wait_metrics(gw, lambda m: m['palisade_policy_reloads_total{result="ok"}'] > ok, "good reload not counted")
    assert m["palisade_policy_generation"] > generation
