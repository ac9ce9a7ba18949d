"""Configuration of real-LLM teachers: prompt, request ledger, budget, the OpenAI backend and
the local ``transformers`` backend.

A run config carries these under ``teacher.openai`` (or ``teacher.transformers``)::

    teacher:
      backend: openai
      openai:
        model: gpt-3.5-turbo-0125
        base_url: null                 # OpenAI; or http://127.0.0.1:8000/v1 (vLLM, Ollama, ...)
        api_key_env: OPENAI_API_KEY    # the *name* of the variable; null for local servers
        concurrency: 16
        prompt: {num_demos: 30, selection: random}
        budget: {max_usd: 20, usd_per_million_prompt_tokens: 0.5,
                 usd_per_million_completion_tokens: 1.5}

Nothing here affects which answers are cached except the fields sent to the model (model,
prompt, decoding): concurrency, timeouts and retry settings can change between reruns freely.
The same holds for ``teacher.transformers``: its ledger key covers the model's identity, dtype,
the prompt and decoding, never device or batch size.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from mckd.config.fingerprints import RUNTIME, AddedLater

#: the encoder the ``dense`` demo selection uses by default: all-MiniLM-L6-v2 from the
#: ``mckd[dense]`` extra, its file hashes checked (see ``mckd.core.pinned``)
DEFAULT_DENSE_ENCODER = "pinned:all-MiniLM-L6-v2"


class DenseConfig(BaseModel):
    """The sentence encoder of the ``dense`` demo selection (``teacher.<backend>.prompt.dense``).

    Demonstrations are the gold inputs nearest to the query by cosine similarity of
    mean-pooled encoder states (what sentence-transformers does for all-MiniLM-L6-v2).
    """

    model_config = ConfigDict(extra="forbid")

    encoder: str = Field(
        DEFAULT_DENSE_ENCODER, min_length=1,
        description="'pinned:all-MiniLM-L6-v2' (the copy in the mckd[dense] extra, its file "
        "hashes checked before loading), or any local folder or Hugging Face name of a "
        "BERT-style encoder (loaded with transformers' AutoModel)")
    max_length: int = Field(256, ge=8, le=8192,
                            description="longer inputs are truncated to this many tokens")


class PromptConfig(BaseModel):
    """How prompts are built (``teacher.openai.prompt``, ``teacher.transformers.prompt``)."""

    model_config = ConfigDict(extra="forbid")

    num_demos: int = Field(30, ge=0, le=500,
                           description="demonstrations per prompt (the paper: 30)")
    selection: Literal["random", "fixed", "bm25", "dense"] = Field(
        "random", description="how demos are chosen per input: 'random' (the paper: a seeded "
        "draw per input), 'fixed' (one seeded draw shown with every input: prompts share a "
        "prefix that a local llama.cpp server keeps cached), 'bm25' (the gold inputs most "
        "similar to it, lexically) or 'dense' (most similar by a sentence encoder, see "
        "prompt.dense; pip install 'mckd[dense]')")
    dense: DenseConfig = Field(default_factory=DenseConfig,
                               description="the encoder of selection 'dense' (ignored otherwise)")
    instruction: str | None = Field(
        None, description="optional text before the demonstrations (the system message in "
        "chat mode); the paper uses none")
    chat_layout: Literal["single", "turns"] = Field(
        "single", description="chat mode only: 'single' sends demos and query as one user "
        "message; 'turns' sends each demo as a user/assistant exchange")
    input_prefix: str = Field("Input: ", description="written before each input")
    output_prefix: str = Field("Output: ", description="written before each output")
    demo_separator: str = Field("\n\n", description="between demonstrations")
    context_tokens: int = Field(
        16385, ge=256, description="the model's context window in tokens; demos that do not "
        "fit next to the answer's room (max_tokens) are dropped, least useful first")

    @model_serializer(mode="wrap")
    def _dense_only_when_chosen(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # the encoder shapes prompts only under 'dense': leaving it out otherwise keeps the
        # fingerprints of runs made before 'dense' existed (they resume)
        data = handler(self)
        if self.selection != "dense":
            data.pop("dense", None)
        return data


class LedgerConfig(BaseModel):
    """The request ledger, a SQLite cache of every answer (``teacher.openai.ledger``)."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = Field(
        None, description="SQLite file shared by runs; null: the pipeline's default "
        "(cache/teacher.sqlite)")
    store_requests: bool = Field(
        False, description="also store each request body (prompts make the file ~30x larger)")
    busy_timeout_s: float = Field(
        30.0, gt=0, description="how long to wait for another process writing the same ledger")


class BudgetConfig(BaseModel):
    """Hard limits on spending (``teacher.openai.budget``).

    Spending counts every answer this labeling job uses, including answers read back from
    the ledger, so rerunning with the same budget stops at the same point: raise the limit
    and rerun to continue. Each new request reserves its estimated prompt tokens plus
    ``max_tokens`` first, so the limit is never overshot by requests in flight.
    """

    model_config = ConfigDict(extra="forbid")

    max_usd: float | None = Field(None, gt=0, description="stop before spending more dollars")
    max_tokens: int | None = Field(None, gt=0,
                                   description="stop before using more prompt+completion tokens")
    usd_per_million_prompt_tokens: float = Field(0.0, ge=0, description="input token price")
    usd_per_million_completion_tokens: float = Field(0.0, ge=0,
                                                     description="output token price")

    @model_validator(mode="after")
    def _prices_for_usd(self) -> BudgetConfig:
        if self.max_usd is not None and not (self.usd_per_million_prompt_tokens
                                             or self.usd_per_million_completion_tokens):
            raise ValueError("max_usd needs token prices: set usd_per_million_prompt_tokens "
                             "and usd_per_million_completion_tokens (your provider's price list)")
        return self


class OpenAITeacherConfig(BaseModel):
    """An OpenAI-compatible server as the teacher (``teacher.openai``)."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(..., min_length=1, description="model name as the server knows it")
    base_url: str | None = Field(
        None, description="API root, e.g. http://127.0.0.1:8000/v1 for vLLM/SGLang/llama.cpp/"
        "Ollama; null for OpenAI itself")
    endpoint: Literal["chat", "completions"] = Field(
        "chat", description="'chat' (/chat/completions, messages) or 'completions' "
        "(/completions, one prompt string: base models)")
    api_key_env: Annotated[str | None, RUNTIME] = Field(
        "OPENAI_API_KEY", description="name of the environment variable holding the API key "
        "(the key itself never goes in a config); null for servers that need none")
    concurrency: Annotated[int, RUNTIME] = Field(
        16, ge=1, le=1024, description="requests in flight at once")
    timeout_s: Annotated[float, RUNTIME] = Field(
        120.0, gt=0, description="per-request timeout in seconds")
    http_client: Annotated[Literal["auto", "aiohttp", "httpx"], RUNTIME] = Field(
        "auto", description="HTTP transport under the openai SDK: 'aiohttp' (the SDK's "
        "DefaultAioHttpClient; less CPU per request, measured 1.06x the ideal wall time where "
        "httpx gave 1.10x, bench/llm_throughput.py), 'httpx' (the SDK's default), 'auto': "
        "aiohttp when the aiohttp package is installed (mckd[llm] installs it)")
    max_attempts: Annotated[int, RUNTIME] = Field(6, ge=1, le=100,
                              description="attempts per request before it counts as failed")
    backoff_base_s: Annotated[float, RUNTIME] = Field(
        1.0, ge=0, description="first retry delay (doubles, jittered)")
    backoff_max_s: Annotated[float, RUNTIME] = Field(60.0, ge=0, description="longest retry delay")
    max_retry_after_s: Annotated[float, RUNTIME] = Field(
        600.0, gt=0, description="a Retry-After longer than this stops the run (resumable)")
    max_tokens: int = Field(512, ge=1, description="answer length limit per request")
    retry_max_tokens: int | None = Field(
        2048, ge=1, description="a truncated answer (finish_reason 'length') is requested once "
        "more with this limit; null: keep it as truncated")
    max_tokens_field: Literal["max_tokens", "max_completion_tokens"] = Field(
        "max_tokens", description="request field carrying the limit (OpenAI reasoning models "
        "want max_completion_tokens)")
    temperature: float = Field(0.0, ge=0, le=2, description="sampling temperature")
    top_p: float | None = Field(None, gt=0, le=1, description="nucleus sampling; null: omit")
    n: int = Field(1, ge=1, le=64, description="candidates per input (all kept in meta; the "
                   "first is the answer)")
    sampling_seed: int | None = Field(None, description="the API's 'seed' field; null: omit")
    stop: list[str] | None = Field(
        None, description="stop sequences; null: a newline plus the input prefix (the model "
        "starting another pair); [] sends none")
    extra_body: dict[str, Any] = Field(
        default_factory=dict, description="extra request fields (e.g. vLLM's guided decoding); "
        "part of the cache key")
    constrain: Annotated[Literal["none", "grammar"], AddedLater()] = Field(
        "none", description="'grammar': send, with each request, a grammar that admits only "
        "well-formed outputs over exactly that input's words, in the prompt's target format "
        "(constituency: bracketings; slots: word/IOB2-tag pairs over the slot-type inventory), "
        "so the server decodes under it (grammar_server says in which request field); part of "
        "the cache key. 'none': free decoding (then checked and repaired)")
    grammar_server: Annotated[Literal["llama.cpp", "vllm", "sglang"], AddedLater()] = Field(
        "llama.cpp", description="with constrain: grammar, the server's own field for a GBNF "
        "grammar: 'llama.cpp' (llama.cpp's server and llama-cpp-python: 'grammar'), 'vllm' "
        "(structured_outputs: {grammar: ...}, vLLM >= 0.12), 'sglang' ('ebnf')")
    progress_bar: Annotated[bool, RUNTIME] = Field(
        True, description="show a live line: done/failed, tokens, cost, "
        "requests per second, ETA")
    prompt: PromptConfig = Field(default_factory=PromptConfig)
    ledger: Annotated[LedgerConfig, RUNTIME] = Field(default_factory=LedgerConfig)
    budget: Annotated[BudgetConfig, RUNTIME] = Field(default_factory=BudgetConfig)

    @model_validator(mode="after")
    def _consistent(self) -> OpenAITeacherConfig:
        if self.base_url is not None and not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https:// (got "
                             f"{self.base_url!r}), e.g. http://127.0.0.1:8000/v1")
        if self.retry_max_tokens is not None and self.retry_max_tokens <= self.max_tokens:
            raise ValueError(f"retry_max_tokens ({self.retry_max_tokens}) must exceed max_tokens "
                             f"({self.max_tokens}); use null to keep truncated answers")
        if self.backoff_max_s < self.backoff_base_s:
            raise ValueError("backoff_max_s must be >= backoff_base_s")
        if self.max_tokens >= self.prompt.context_tokens:
            raise ValueError(f"max_tokens ({self.max_tokens}) leaves no room for the prompt in "
                             f"prompt.context_tokens ({self.prompt.context_tokens})")
        field = GRAMMAR_FIELDS[self.grammar_server]
        if self.constrain == "grammar" and field in self.extra_body:
            raise ValueError(f"extra_body sets {field!r}, the field constrain: grammar fills "
                             f"for grammar_server {self.grammar_server!r}; remove it from "
                             "extra_body, or set constrain: none")
        return self


#: the request field that carries a grammar, per ``teacher.openai.grammar_server``
GRAMMAR_FIELDS = {"llama.cpp": "grammar", "vllm": "structured_outputs", "sglang": "ebnf"}


class TransformersTeacherConfig(BaseModel):
    """A local causal language model as the teacher (``teacher.transformers``).

    Same prompts as the ``openai`` backend; generation runs in batches with
    ``transformers``' ``generate`` and every answer goes through the same request ledger, so a
    rerun generates nothing already answered (and does not even load the model).
    """

    model_config = ConfigDict(extra="forbid")

    model: str = Field(..., min_length=1, description="local folder or Hugging Face name of a "
                       "causal LM with its tokenizer")
    revision: str | None = Field(None, description="Hub revision (branch, tag or commit); "
                                 "null: the default branch. Ignored for local folders")
    endpoint: Literal["chat", "completions"] = Field(
        "chat", description="'chat': the messages rendered with the tokenizer's chat template "
        "(plain completion text when the tokenizer has none); 'completions': the completion "
        "prompt as plain text (base models)")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="weights dtype; 'auto': as saved")
    device: Annotated[str, RUNTIME] = Field(
        "auto", min_length=1, description="'auto' (cuda when available, else "
        "cpu), 'cpu', 'cuda', 'cuda:1', 'mps'")
    batch_size: Annotated[int, RUNTIME] = Field(
        8, ge=1, le=1024, description="prompts generated together")
    max_tokens: int = Field(512, ge=1, description="max_new_tokens per answer; an answer that "
                            "reaches it is recorded with finish_reason 'length'")
    temperature: float = Field(0.0, ge=0, le=2, description="0: greedy decoding")
    top_p: float | None = Field(None, gt=0, le=1, description="nucleus sampling (temperature > "
                                "0 only); null: off")
    sampling_seed: int | None = Field(None, description="seeds sampling (temperature > 0); "
                                      "null: the teacher step's seed")
    stop: list[str] | None = Field(
        None, description="stop strings; null: a newline plus the input prefix (the model "
        "starting another pair); [] stops only at the end-of-sequence token")
    progress_bar: Annotated[bool, RUNTIME] = Field(True, description="show a live progress line")
    prompt: PromptConfig = Field(default_factory=PromptConfig)
    ledger: Annotated[LedgerConfig, RUNTIME] = Field(default_factory=LedgerConfig)

    @model_validator(mode="after")
    def _consistent(self) -> TransformersTeacherConfig:
        if self.max_tokens >= self.prompt.context_tokens:
            raise ValueError(f"max_tokens ({self.max_tokens}) leaves no room for the prompt in "
                             f"prompt.context_tokens ({self.prompt.context_tokens})")
        if self.top_p is not None and self.temperature == 0:
            raise ValueError("top_p needs sampling: set temperature > 0, or top_p: null")
        return self
