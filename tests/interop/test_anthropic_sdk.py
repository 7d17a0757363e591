"""The official anthropic SDK through the gateway: messages (JSON and stream) and an error in
Anthropic's format."""
import os

import anthropic
import pytest

from conftest import CALLER_KEY, CANNED, last_upstream_request

KEY = os.environ["PALISADE_ANTHROPIC_KEY"]


def assert_upstream_saw_key():
    req = last_upstream_request()
    assert req["path"] == "/v1/messages"
    assert req["headers"]["x-api-key"] == KEY
    assert req["headers"]["anthropic-version"]
    assert CALLER_KEY not in str(req["headers"])


def test_messages(claude):
    m = claude.messages.create(model="claude-sonnet-4-5", max_tokens=32, messages=[{"role": "user", "content": "hi"}])
    assert m.content[0].text == CANNED
    assert m.stop_reason == "end_turn"
    assert_upstream_saw_key()


def test_messages_stream(claude):
    with claude.messages.stream(model="claude-sonnet-4-5", max_tokens=32, messages=[{"role": "user", "content": "hi"}]) as s:
        parts = list(s.text_stream)
        final = s.get_final_message()
    assert parts == ["Hello", " from", " the", " simulated", " upstream."]
    assert final.content[0].text == CANNED
    assert_upstream_saw_key()


def test_unknown_model_is_a_404_in_anthropic_format(claude):
    with pytest.raises(anthropic.NotFoundError) as e:
        claude.messages.create(model="claude-nope", max_tokens=1, messages=[{"role": "user", "content": "hi"}])
    assert e.value.body["type"] == "error"
    assert e.value.body["error"]["type"] == "not_found_error"
