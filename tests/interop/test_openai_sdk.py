"""The official openai SDK through the gateway: chat (JSON and stream), responses (JSON and
stream), embeddings, models, and an error in OpenAI's format."""
import os

import openai
import pytest

from conftest import CALLER_KEY, CANNED, last_upstream_request

KEY = os.environ["PALISADE_OPENAI_KEY"]


def assert_upstream_saw(path, model):
    req = last_upstream_request()
    assert req["path"] == path
    assert req["body"]["model"] == model
    assert req["headers"]["authorization"] == f"Bearer {KEY}"
    assert CALLER_KEY not in str(req["headers"])


def test_chat_completion(oai):
    r = oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
    assert r.choices[0].message.content == CANNED
    assert r.model == "fake-gpt"  # renamed upstream, echoed back by the simulated upstream
    assert_upstream_saw("/v1/chat/completions", "fake-gpt")


def test_chat_completion_stream(oai):
    stream = oai.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True)
    parts = [c.choices[0].delta.content for c in stream if c.choices and c.choices[0].delta.content]
    assert parts == ["Hello", " from", " the", " simulated", " upstream."]
    assert_upstream_saw("/v1/chat/completions", "fake-gpt")


def test_responses(oai):
    r = oai.responses.create(model="gpt-4o-mini", input="hi")
    assert r.output_text == CANNED
    assert_upstream_saw("/v1/responses", "fake-gpt")


def test_responses_stream(oai):
    deltas, done = [], None
    with oai.responses.stream(model="gpt-4o-mini", input="hi") as stream:
        for ev in stream:
            if ev.type == "response.output_text.delta":
                deltas.append(ev.delta)
        done = stream.get_final_response()
    assert "".join(deltas) == CANNED
    assert done.output_text == CANNED


def test_embeddings(oai):
    r = oai.embeddings.create(model="text-embedding-3-small", input=["a", "b"])
    assert [d.embedding for d in r.data] == [[0.25, -0.5, 0.0], [0.25, -0.5, 1.0]]
    assert_upstream_saw("/v1/embeddings", "text-embedding-3-small")


def test_models(oai):
    ids = sorted(m.id for m in oai.models.list())
    assert ids == ["claude-sonnet-4-5", "gpt-4o-mini", "text-embedding-3-small"]


def test_unknown_model_is_a_404_in_openai_format(oai):
    with pytest.raises(openai.NotFoundError) as e:
        oai.chat.completions.create(model="gpt-nope", messages=[{"role": "user", "content": "hi"}])
    assert e.value.body["code"] == "model_not_found"
