"""Any OpenAI-compatible chat endpoint (OpenAI, vLLM serve, llama.cpp server, ...) over plain HTTP.

The server owns tokenization, so generations carry text only: ``prompt_ids`` and
``response_ids`` are ``None``, and such rows can be evaluated but not trained on. With
``request_logprobs=True`` the server is asked for per-token log-probs (``"logprobs": true``);
they fill ``Generation.logprobs`` when it returns them, else that stays ``None``.

The API key is read from the environment variable named by ``api_key_env`` at each request; it
is never stored on the object, logged, or put in an error message.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from agents.backends.base import Generation, Backend, Prompt, SamplingConfig, as_messages, check_prompts, is_token_prompt

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
MAX_ERROR_CHARS = 300


class EndpointError(RuntimeError):
    """The endpoint could not be reached or answered with an error."""


class OpenAIChatBackend(Backend):
    """``base_url`` like ``http://localhost:8000/v1``; requests go to ``{base_url}/chat/completions``.

    ``timeout`` is per request attempt in seconds; failed attempts (network errors, 408/409/429/5xx)
    are retried ``max_retries`` times with exponential backoff starting at ``backoff`` seconds
    (or the server's ``Retry-After``, capped at 30 s). Rows of a batch run ``concurrency`` at a time.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key_env: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        concurrency: int = 8,
        request_logprobs: bool = False,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        if api_key_env is not None and not os.environ.get(api_key_env):
            raise ValueError(f"environment variable {api_key_env} (the API key) is not set")
        if timeout <= 0 or max_retries < 0 or backoff < 0 or concurrency < 1:
            raise ValueError("timeout must be > 0, max_retries and backoff >= 0, concurrency >= 1")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.concurrency = concurrency
        self.request_logprobs = request_logprobs

    def __repr__(self) -> str:
        return f"OpenAIChatBackend(url={self.url!r}, model={self.model!r}, api_key_env={self.api_key_env!r})"

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig | None = None) -> list[Generation]:
        sampling = sampling or SamplingConfig()
        rows = check_prompts(prompts)
        for i, prompt in enumerate(rows):
            if is_token_prompt(prompt):
                raise TypeError(f"prompt {i} is token ids; an HTTP chat endpoint takes text or chat messages")
        bodies = [self._body(as_messages(p), sampling, i) for i, p in enumerate(rows)]
        if len(bodies) <= 1 or self.concurrency == 1:
            return [self._complete(b) for b in bodies]
        with ThreadPoolExecutor(max_workers=min(self.concurrency, len(bodies))) as pool:
            return list(pool.map(self._complete, bodies))

    def _body(self, messages: list[dict], sampling: SamplingConfig, row: int) -> dict:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
        }
        if sampling.seed is not None:
            body["seed"] = sampling.seed + row  # rows of a group must not share a stream
        if self.request_logprobs:
            body["logprobs"] = True
        return body

    def _complete(self, body: dict) -> Generation:
        reply = self._post(body)
        try:
            choice = reply["choices"][0]
            text = choice["message"].get("content") or ""
            reason = choice.get("finish_reason") or "stop"
            usage = reply.get("usage")
            logprobs = None
            if self.request_logprobs and choice.get("logprobs"):  # servers without support send null
                logprobs = [float(entry["logprob"]) for entry in choice["logprobs"]["content"]]
        except (KeyError, IndexError, TypeError, AttributeError, ValueError):
            raise EndpointError(f"unexpected reply from {self.url}: {self._clip(json.dumps(reply))}") from None
        return Generation(
            text=text,
            prompt_ids=None,
            response_ids=None,
            logprobs=logprobs,
            finish_reason="length" if reason == "length" else "stop",
            extra={"finish_reason": reason, "usage": usage},
        )

    def _post(self, body: dict) -> dict:
        data = json.dumps(body).encode()
        for attempt in range(self.max_retries + 1):
            delay = self.backoff * 2**attempt
            request = urllib.request.Request(self.url, data=data, method="POST", headers=self._headers())
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    payload = response.read()
            except urllib.error.HTTPError as error:
                error_text = f"HTTP {error.code} from {self.url}: {self._clip(error.read().decode('utf-8', 'replace'))}"
                if error.code not in RETRY_STATUS:
                    raise EndpointError(error_text) from None
                retry_after = error.headers.get("Retry-After", "")
                if retry_after.replace(".", "", 1).isdigit():
                    delay = min(float(retry_after), 30.0)
            except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
                reason = getattr(error, "reason", None) or error or type(error).__name__
                error_text = f"cannot reach {self.url}: {self._clip(str(reason))}"
            else:
                try:
                    return json.loads(payload)
                except json.JSONDecodeError:
                    text = self._clip(payload.decode("utf-8", "replace"))
                    raise EndpointError(f"{self.url} did not answer JSON: {text}") from None
            if attempt < self.max_retries:
                time.sleep(delay)
        raise EndpointError(f"{error_text} (gave up after {self.max_retries + 1} attempts)")

    def _headers(self) -> dict:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key_env is not None:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise EndpointError(f"environment variable {self.api_key_env} (the API key) is not set")
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _clip(self, text: str) -> str:
        """Server text fit for an error message: short, and without the key should a server echo it."""
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            text = text.replace(key, "***")
        return text if len(text) <= MAX_ERROR_CHARS else text[:MAX_ERROR_CHARS] + "..."


