"""The OpenAI-compatible HTTP backend against a real local server (a socket, no client mocks)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agents.backends.openai_backend import EndpointError, OpenAIChatBackend
from agents.backends.base import SamplingConfig

KEY_ENV = "AGORA_TEST_ENDPOINT_KEY"
SECRET = "sk-test-0123456789abcdef"


class ChatServer(ThreadingHTTPServer):
    """A tiny chat-completions server: answers "echo: <last user message>", with knobs for failures."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), ChatHandler)
        self.requests: list[dict] = []
        self.fail_next = 0  # answer this many requests with 503 first
        self.fail_status = 503
        self.delay = 0.0
        self.echo_auth_in_error = False
        self.raw_reply: bytes | None = None
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class ChatHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def _send(self, status: int, body: bytes, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        server: ChatServer = self.server
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with server.lock:
            server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
            failing = server.fail_next > 0
            server.fail_next -= failing
        if server.delay:
            time.sleep(server.delay)
        if self.path != "/v1/chat/completions":
            return self._send(404, b'{"error": {"message": "no such route"}}')
        if failing:
            return self._send(server.fail_status, b'{"error": {"message": "overloaded"}}', {"Retry-After": "0"})
        if server.echo_auth_in_error:
            message = f"bad key {self.headers.get('Authorization')}"
            return self._send(401, json.dumps({"error": {"message": message}}).encode())
        if server.raw_reply is not None:
            return self._send(200, server.raw_reply)
        text = "echo: " + body["messages"][-1]["content"]
        words = text.split()[: body["max_tokens"]]
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": " ".join(words)},
            "finish_reason": "length" if len(words) < len(text.split()) else "stop",
            "logprobs": None,
        }
        if body.get("logprobs"):
            choice["logprobs"] = {"content": [{"token": w, "logprob": -0.5 * (i + 1)} for i, w in enumerate(words)]}
        self._send(200, json.dumps({"choices": [choice], "usage": {"completion_tokens": len(words)}}).encode())


@pytest.fixture
def server():
    srv = ChatServer()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def secret(monkeypatch):
    monkeypatch.setenv(KEY_ENV, SECRET)
    return SECRET


def test_batch_of_messages_and_text(server, secret):
    policy = OpenAIChatBackend(server.base_url, "tiny", api_key_env=KEY_ENV)
    prompts = ["hello there", [{"role": "system", "content": "be brief"}, {"role": "user", "content": "go north"}]]
    out = policy.generate(prompts, SamplingConfig(temperature=0.7, top_p=0.9, max_tokens=16, seed=5))
    assert [g.text for g in out] == ["echo: hello there", "echo: go north"]
    assert all(g.prompt_ids is None and g.response_ids is None and not g.has_tokens for g in out)
    assert all(g.finish_reason == "stop" and g.logprobs is None for g in out)
    sent = sorted(server.requests, key=lambda r: r["body"]["seed"])
    assert [r["auth"] for r in sent] == [f"Bearer {SECRET}"] * 2
    assert sent[0]["body"]["messages"] == [{"role": "user", "content": "hello there"}]
    assert sent[1]["body"]["messages"][0] == {"role": "system", "content": "be brief"}
    assert {r["body"]["seed"] for r in sent} == {5, 6}  # one stream per row
    assert all(r["body"]["model"] == "tiny" and r["body"]["max_tokens"] == 16 for r in sent)
    assert sent[0]["body"]["temperature"] == 0.7 and sent[0]["body"]["top_p"] == 0.9


def test_length_finish_and_logprobs(server):
    policy = OpenAIChatBackend(server.base_url, "tiny", request_logprobs=True)
    (gen,) = policy.generate(["one two three four"], SamplingConfig(max_tokens=2))
    assert gen.text == "echo: one" and gen.finish_reason == "length"
    assert gen.logprobs == [-0.5, -1.0]
    assert server.requests[0]["auth"] is None and server.requests[0]["body"]["logprobs"] is True


def test_retries_transient_errors(server):
    server.fail_next = 2
    policy = OpenAIChatBackend(server.base_url, "tiny", max_retries=2, backoff=0.01)
    assert policy.generate(["hi"])[0].text == "echo: hi"
    assert len(server.requests) == 3


def test_gives_up_after_retries(server):
    server.fail_next = 10
    policy = OpenAIChatBackend(server.base_url, "tiny", max_retries=1, backoff=0.01)
    with pytest.raises(EndpointError, match=r"HTTP 503.*overloaded.*2 attempts"):
        policy.generate(["hi"])
    assert len(server.requests) == 2


def test_client_errors_are_not_retried(server):
    policy = OpenAIChatBackend(server.base_url.replace("/v1", "/wrong"), "tiny", max_retries=3, backoff=0.01)
    with pytest.raises(EndpointError, match="HTTP 404.*no such route"):
        policy.generate(["hi"])
    assert len(server.requests) == 1


def test_timeout(server):
    server.delay = 1.0
    policy = OpenAIChatBackend(server.base_url, "tiny", timeout=0.2, max_retries=0)
    start = time.monotonic()
    with pytest.raises(EndpointError, match="cannot reach"):
        policy.generate(["hi"])
    assert time.monotonic() - start < 1.0


def test_unreachable_server():
    policy = OpenAIChatBackend("http://127.0.0.1:9/v1", "tiny", max_retries=1, backoff=0.01, timeout=2)
    with pytest.raises(EndpointError, match="cannot reach http://127.0.0.1:9/v1/chat/completions"):
        policy.generate(["hi"])


def test_malformed_replies(server):
    policy = OpenAIChatBackend(server.base_url, "tiny", max_retries=0)
    server.raw_reply = b"<html>not json</html>"
    with pytest.raises(EndpointError, match="did not answer JSON"):
        policy.generate(["hi"])
    server.raw_reply = b'{"choices": []}'
    with pytest.raises(EndpointError, match="unexpected reply"):
        policy.generate(["hi"])


def test_key_never_leaks(server, secret):
    server.echo_auth_in_error = True
    policy = OpenAIChatBackend(server.base_url, "tiny", api_key_env=KEY_ENV)
    assert SECRET not in repr(policy) and SECRET not in str(vars(policy))
    with pytest.raises(EndpointError) as caught:
        policy.generate(["hi"])
    assert "HTTP 401" in str(caught.value) and SECRET not in str(caught.value)


def test_bad_configuration_and_prompts(server, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ValueError, match=f"{KEY_ENV}.*not set"):
        OpenAIChatBackend(server.base_url, "tiny", api_key_env=KEY_ENV)
    with pytest.raises(ValueError, match="http"):
        OpenAIChatBackend("localhost:8000", "tiny")
    policy = OpenAIChatBackend(server.base_url, "tiny")
    with pytest.raises(TypeError, match="token ids"):
        policy.generate([[1, 2, 3]])
    with pytest.raises(TypeError, match="prompt 1, message 0"):
        policy.generate(["ok", [{"role": "user"}]])
    with pytest.raises(TypeError, match="list of prompts"):
        policy.generate("a bare string")
    assert server.requests == []


def test_backend_factory(server):
    from agents.backends import make_backend

    policy = make_backend("openai", server.base_url, "tiny")
    assert isinstance(policy, OpenAIChatBackend) and policy.generate(["x"])[0].text == "echo: x"
    with pytest.raises(ValueError, match="unknown backend 'gpt'.*'hf'"):
        make_backend("gpt")
