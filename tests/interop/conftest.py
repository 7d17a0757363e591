"""Shared fixtures: SDK clients pointed at the running gateway, trusting only its generated CA."""
import json
import os
import ssl
import urllib.request

import anthropic
import httpx2 as httpx  # the SDKs of this generation use httpx2 (same Client API)
import openai
import pytest

GATEWAY = os.environ["PALISADE_GATEWAY"]
CA = os.environ["PALISADE_CA"]
UPSTREAM = os.environ["PALISADE_UPSTREAM"]
CANNED = "Hello from the simulated upstream."
CALLER_KEY = "caller-key-that-must-not-reach-the-upstream"


def _http():
    ctx = ssl.create_default_context(cafile=CA)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    return httpx.Client(verify=ctx)


@pytest.fixture
def oai():
    return openai.OpenAI(base_url=f"{GATEWAY}/v1", api_key=CALLER_KEY, http_client=_http(), max_retries=0)


@pytest.fixture
def claude():
    return anthropic.Anthropic(base_url=GATEWAY, api_key=CALLER_KEY, http_client=_http(), max_retries=0)


def upstream_requests():
    with urllib.request.urlopen(f"{UPSTREAM}/_simulated/requests") as r:
        return json.load(r)


def last_upstream_request():
    return upstream_requests()[-1]
