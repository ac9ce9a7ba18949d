"""One HTTP call to an OpenAI-compatible server, and what its failure means.

The ``openai`` package sends the request (``max_retries=0``: retrying is ours, see
:mod:`mckd.teachers.retrying`); the body is read raw and parsed here, so a malformed or
half-written response is a retryable failure rather than a crash. Every failure becomes a
:class:`CallError` of one kind:

``retry``   429 rate limit, 408/409/5xx, timeouts, connection errors, malformed JSON.
``fatal``   the run cannot go on: bad key (401/403), quota exhausted, unknown model (404).
``reject``  the server refuses this one request (400/413/422, e.g. the prompt is too long).

The API key is given to the client only; it is scrubbed from every error message.
"""

from __future__ import annotations

import email.utils
import json
import time
from dataclasses import dataclass
from typing import Any, Literal

from mckd.core.errors import ConfigError

ErrorKind = Literal["retry", "fatal", "reject"]
_QUOTA_CODES = ("insufficient_quota", "billing_hard_limit_reached", "quota_exceeded")


@dataclass(frozen=True)
class Answer:
    """A parsed response: choices as (raw text, finish reason), and token usage."""

    choices: list[tuple[str, str]]
    prompt_tokens: int
    completion_tokens: int


class CallError(Exception):
    """One failed attempt, classified (see the module docstring)."""

    def __init__(self, kind: ErrorKind, message: str, *, retry_after: float | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.kind, self.message, self.retry_after, self.status = kind, message, retry_after, status

    def redacted(self, secret: str | None) -> CallError:
        """The same error with ``secret`` scrubbed from its message."""
        return CallError(self.kind, redact(self.message, secret), retry_after=self.retry_after,
                         status=self.status)


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` replaced by ``***``."""
    return text.replace(secret, "***") if secret else text


def retry_after_s(headers: Any) -> float | None:
    """Seconds a server asked us to wait (``retry-after-ms`` or ``Retry-After``), or None."""
    millis = _seconds(headers.get("retry-after-ms"))
    if millis is not None:
        return millis / 1000.0
    return _seconds(headers.get("retry-after"), http_date=True)


def _seconds(value: str | None, *, http_date: bool = False) -> float | None:
    """A header value as non-negative seconds: a number, or (``http_date``) an HTTP date."""
    if value is None or not value.strip():
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        if not http_date:
            return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def parse_answer(content: bytes, endpoint: str) -> Answer:
    """Read the choices and usage from a response body.

    Raises:
        CallError: kind ``retry`` when the body is not the JSON an OpenAI server returns.
    """
    try:
        data = json.loads(content)
        choices = []
        for choice in data["choices"]:
            text = choice["message"]["content"] if endpoint == "chat" else choice["text"]
            choices.append((text if isinstance(text, str) else "",
                            str(choice.get("finish_reason") or "stop")))
        usage = data.get("usage") or {}
        prompt, completion = int(usage.get("prompt_tokens") or 0), int(
            usage.get("completion_tokens") or 0)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        preview = content[:80].decode("utf-8", "replace")
        raise CallError("retry", f"malformed response ({type(exc).__name__}: {exc}; body "
                                 f"starts {preview!r})") from None
    if not choices:
        raise CallError("retry", "malformed response (no choices)")
    return Answer(choices, prompt, completion)


def classify_status(status: int, body: Any, headers: Any) -> CallError:
    """The :class:`CallError` for an HTTP error status, its JSON body (``{"error": {...}}`` or
    the inner dict) and its headers."""
    # servers send {"error": {...}}; the openai client hands over the inner dict
    error = body.get("error", body) if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or error.get("type") or "")
    message = f"HTTP {status}" + (f" ({code})" if code else "") + (
        f": {error['message']}" if error.get("message") else "")
    if status == 429 and code in _QUOTA_CODES:
        return CallError("fatal", message + " - the account's quota is exhausted; add credit "
                         "and rerun (answers so far are saved)", status=status)
    if status in (401, 403):
        return CallError("fatal", message + " - check the API key in the environment variable "
                         "named by api_key_env, and base_url", status=status)
    if status == 404:
        return CallError("fatal", message + " - check model, endpoint and base_url",
                         status=status)
    if status in (408, 409, 429) or status >= 500:
        return CallError("retry", message, retry_after=retry_after_s(headers), status=status)
    return CallError("reject", message, status=status)


class OpenAICaller:
    """Sends request bodies with ``openai.AsyncOpenAI``; create it inside the event loop.

    Bodies go through the client's documented generic ``post`` (raw response out): they are
    sent exactly as hashed into the ledger key, without per-field re-validation.
    """

    def __init__(self, *, base_url: str | None, api_key: str | None, timeout_s: float,
                 endpoint: str, connections: int, http_client: str = "auto"):
        openai, http = import_openai()
        self._openai, self._response_type = openai, http.Response
        self._secret, self.endpoint = api_key, endpoint
        self._path = "/chat/completions" if endpoint == "chat" else "/completions"
        # keep one open connection per concurrent request (the SDK keeps at most 100)
        limits = http.Limits(max_connections=max(connections, 100),
                             max_keepalive_connections=connections)
        # local servers need no key, but the client insists on one
        self._client = openai.AsyncOpenAI(
            api_key=api_key or "EMPTY", base_url=base_url, timeout=timeout_s, max_retries=0,
            http_client=http_client_class(http_client)(limits=limits))

    async def call(self, body: dict[str, Any]) -> Answer:
        """Send ``body`` once; return its answer or raise :class:`CallError`."""
        openai = self._openai
        try:
            response = await self._client.post(self._path, cast_to=self._response_type,
                                               body=body)
        except openai.APITimeoutError:
            raise CallError("retry", "request timed out") from None
        except openai.APIConnectionError as exc:
            cause = redact(str(exc.__cause__ or exc), self._secret)
            raise CallError("retry", f"connection error ({cause})") from None
        except openai.APIStatusError as exc:
            error = classify_status(exc.status_code, exc.body, exc.response.headers)
            raise error.redacted(self._secret) from None
        return parse_answer(response.content, self.endpoint)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()


def aiohttp_available() -> bool:
    """Whether the aiohttp transport of the openai SDK can be used here."""
    import importlib.util

    openai, _ = import_openai()
    return (hasattr(openai, "DefaultAioHttpClient")
            and importlib.util.find_spec("aiohttp") is not None)


def http_client_class(choice: str) -> Any:
    """The SDK's HTTP client class for ``teacher.openai.http_client``.

    Raises:
        ConfigError: ``aiohttp`` was asked for and cannot be used.
    """
    openai, _ = import_openai()
    if choice == "httpx" or (choice == "auto" and not aiohttp_available()):
        return openai.DefaultAsyncHttpxClient
    if not aiohttp_available():
        raise ConfigError("teacher.openai.http_client is 'aiohttp' but the aiohttp package (or "
                          "an openai release with DefaultAioHttpClient) is missing: pip install "
                          "'mckd[llm]', or set http_client: httpx")
    return openai.DefaultAioHttpClient


def import_openai() -> tuple[Any, Any]:
    """The ``openai`` module and the HTTP library under it (``httpx2``, or ``httpx`` before
    openai 3).

    Raises:
        ConfigError: openai is not installed.
    """
    try:
        import openai
    except ImportError:
        raise ConfigError("the 'openai' teacher needs the openai package: "
                          "pip install 'mckd[llm]'") from None
    try:  # openai >= 3 is built on httpx2, older releases on httpx
        import httpx2 as http
    except ImportError:
        import httpx as http
    return openai, http
