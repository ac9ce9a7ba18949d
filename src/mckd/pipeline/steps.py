"""The steps of a run, in order, each with what it depends on and its seed.

A run of K stages with k partitions is::

    teacher -> partitions -> stage_1/A ... stage_1/<k-th> -> ... -> stage_<K-1>/... -> final
            -> [final_<j> for j in mckd.sweep] -> [vanilla_kd] -> [kd_sd_filter] -> [sft]
            -> evaluate

(``partitions`` and the stages only when K > 1; ``vanilla_kd`` when the baseline is on and
K > 1, because with K = 1 the final student *is* vanilla KD; ``final_<j>`` is the final student
of a j-stage run, trained on the relabels of stage j-1 of the shared chain; ``kd_sd_filter``
reads the vanilla KD student; ``sft`` reads only the gold examples.) A step's input fingerprint
covers the config values it reads, its seed and the output fingerprints of the steps it reads.
Options that are off add nothing to a fingerprint, so runs made before they existed resume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mckd.config.schema import RunConfig
from mckd.config.student import TaggerConfig
from mckd.core.hashing import fingerprint, stable_seed
from mckd.pipeline.data import RunData
from mckd.pipeline.manifest import Manifest
from mckd.pipeline.partitions import part_names, relabeled_part, training_parts

#: settings that change how a step runs, not what it produces: changing them between reruns
#: of a run directory is allowed (they are left out of the input fingerprints)
RUNTIME_ONLY = {
    "student": ("threads", "compile", "parallel_steps"),
    "student.tagger": ("feature_cache", "feature_batch_size"),
    "teacher.openai": ("api_key_env", "concurrency", "timeout_s", "http_client", "max_attempts",
                       "backoff_base_s", "backoff_max_s", "max_retry_after_s", "progress_bar",
                       "ledger", "budget"),
    # answers come from the ledger, whose key holds neither the batch nor the device
    "teacher.transformers": ("device", "batch_size", "progress_bar", "ledger"),
}


#: settings added after run directories already existed, left out of the fingerprints while
#: they hold these values (which reproduce what earlier versions did), so those runs resume
ADDED_LATER = {
    # batching/length_groups: earlier versions drew by_length batches (length_groups unused);
    # unpadded: earlier versions ran the padded forward; tagger: the seq2seq-only versions
    "student": {"batch_tokens": None, "batching": "by_length", "length_groups": 2,
                "unpadded": False,
                "tagger": {k: v for k, v in TaggerConfig().model_dump(mode="json").items()
                           if k not in RUNTIME_ONLY["student.tagger"]}},
    # grammar-constrained decoding: earlier versions decoded freely
    "teacher.openai": {"constrain": "none", "grammar_server": "llama.cpp"},
}


def _without(section: dict[str, Any], where: str) -> dict[str, Any]:
    later = ADDED_LATER.get(where, {})
    return {k: v for k, v in section.items() if k not in RUNTIME_ONLY.get(where, ())
            and not (k in later and v == later[k])}


def teacher_inputs(config: RunConfig) -> dict[str, Any]:
    """The teacher settings that shape its labels: the backend and its own section only."""
    backend = config.teacher.backend
    options = config.teacher.backend_options().model_dump(mode="json")
    return {"backend": backend, backend: _without(options, f"teacher.{backend}")}


@dataclass(frozen=True)
class Step:
    """One resumable unit of work.

    Attributes:
        name: unique, also its folder for student steps ("stage_1/A", "final").
        kind: teacher | partitions | stage | final | vanilla_kd | kd_sd_filter | sft |
            evaluate.
        deps: steps whose artifacts it reads.
        config: the config values it depends on, by section (fingerprinted).
        seed: its seed, derived from the run seed.
        out: the file or folder it owns, relative to the run directory (None: evaluate).
        stage: the MCKD stage a student step belongs to (final: K, final_<j>: j; vanilla KD
            and KD + SD: 1; SFT: 0).
        params: for stage steps, the student's role: stage, part, trains_on, relabels; for
            kd_sd_filter, the fraction kept.
    """

    name: str
    kind: str
    deps: tuple[str, ...]
    config: dict[str, Any]
    seed: int
    out: str | None
    stage: int = 0
    params: dict[str, Any] = field(default_factory=dict)


def input_parts(step: Step, manifest: Manifest) -> dict[str, Any] | None:
    """What the step's input fingerprint is made of, or None if a dependency is unfinished."""
    parts: dict[str, Any] = {"seed": step.seed}
    parts.update({f"config.{key}": fingerprint(value) for key, value in step.config.items()})
    for dep in step.deps:
        entry = manifest.done(dep)
        if entry is None:
            return None
        parts[f"output of {dep}"] = entry["output_fingerprint"]
    return parts


def build_plan(config: RunConfig, data: RunData) -> list[Step]:
    """All steps of ``config``'s run, in execution order."""
    K, seed = config.mckd.stages, config.seed
    prints = data.fingerprints
    task = config.task.model_dump(mode="json")
    student = config.student.model_dump(mode="json")
    student["tagger"] = _without(student["tagger"], "student.tagger")
    student = _without(student, "student")
    watch = _heldout_inputs(config, data)
    learn = {"task": task, "student": student, "data.dev": prints.get("dev"), **watch}
    if config.mckd.mix_gold:
        learn["mix_gold"] = prints["labeled"]
    steps = [Step(
        "teacher", "teacher", (),
        {"task": task, "teacher": teacher_inputs(config),
         "data": {role: prints[role] for role in ("labeled", "unlabeled", "test")}},
        stable_seed(seed, "teacher"), "teacher",
    )]
    labels_after = {1: ("teacher",)}  # stage count j -> steps whose labels a j-stage final reads
    if K > 1:
        stage_steps = _stage_chain(config, data, learn)
        steps += stage_steps
        for stage in range(1, K):
            labels_after[stage + 1] = tuple(s.name for s in stage_steps if s.stage == stage)
    # With K = 1 the final student is vanilla KD: same seed as the baseline step.
    final_seed = stable_seed(seed, "vanilla_kd" if K == 1 else "final")
    steps.append(Step("final", "final", labels_after[K], {**learn, "role": "all inputs"},
                      final_seed, "final", stage=K))
    for j in config.mckd.sweep:  # same seed as the final of a j-stage run
        steps.append(Step(f"final_{j}", "final", labels_after[j], {**learn, "role": "all inputs"},
                          stable_seed(seed, "final"), f"final_{j}", stage=j))
    steps += _baselines(config, data, learn, watch)
    evaluated = [s.name for s in steps if s.kind in EVALUATED]
    if config.mckd.eval_stages:
        evaluated += [s.name for s in steps if s.kind == "stage"]
    steps.append(Step("evaluate", "evaluate", ("teacher", *evaluated),
                      {"task": task, "student": student, "data.test": prints["test"]},
                      stable_seed(seed, "evaluate"), None))
    return steps


#: step kinds whose student is scored on test by default
EVALUATED = ("final", "vanilla_kd", "kd_sd_filter", "sft")


def _heldout_inputs(config: RunConfig, data: RunData) -> dict[str, Any]:
    """Fingerprint part for ``analyses.heldout_curves`` (empty when off)."""
    if not config.analyses.heldout_curves:
        return {}
    return {"heldout": {"test": data.fingerprints["test"]["ids"],
                        "n": config.analyses.heldout_examples}}


def _stage_chain(config: RunConfig, data: RunData, learn: dict[str, Any]) -> list[Step]:
    """``partitions`` and the collaborative stages 1 .. K-1."""
    K, k, seed = config.mckd.stages, config.mckd.partitions, config.seed
    part_config: dict[str, Any] = {"data.unlabeled": data.fingerprints["unlabeled"]["ids"],
                                   "mckd.partitions": k}
    if config.mckd.relabel != "other":
        part_config["mckd.relabel"] = config.mckd.relabel
    steps = [Step("partitions", "partitions", (), part_config, stable_seed(seed, "partitions"),
                  "partitions.json")]
    names = part_names(k)
    labels_from: tuple[str, ...] = ("teacher",)
    for stage in range(1, K):
        stage_steps = []
        for part in names:
            name = f"stage_{stage}/{part}"
            role = {"stage": stage, "part": part, "trains_on": training_parts(part, names),
                    "relabels": relabeled_part(part, names, config.mckd.relabel)}
            stage_steps.append(Step(name, "stage", ("partitions", *labels_from),
                                    {**learn, "role": role}, stable_seed(seed, name), name,
                                    stage=stage, params=role))
        steps += stage_steps
        labels_from = tuple(s.name for s in stage_steps)
    return steps


def _baselines(config: RunConfig, data: RunData, learn: dict[str, Any],
               watch: dict[str, Any]) -> list[Step]:
    """The baseline students the config asks for (vanilla KD, KD + SD with filter, SFT)."""
    K, seed, base = config.mckd.stages, config.seed, config.baselines
    steps = []
    if base.vanilla_kd and K > 1:
        steps.append(Step("vanilla_kd", "vanilla_kd", ("teacher",),
                          {**learn, "role": "all inputs"}, stable_seed(seed, "vanilla_kd"),
                          "vanilla_kd", stage=1))
    if base.kd_sd_filter:
        kd_student = "final" if K == 1 else "vanilla_kd"
        steps.append(Step("kd_sd_filter", "kd_sd_filter", (kd_student,),
                          {**learn, "role": "self-distillation", "keep": base.kd_sd_keep},
                          stable_seed(seed, "kd_sd_filter"), "kd_sd_filter", stage=1,
                          params={"keep": base.kd_sd_keep}))
    if base.sft:
        gold = {"task": learn["task"], "student": learn["student"],
                "data.dev": learn["data.dev"], "data.labeled": data.fingerprints["labeled"],
                **watch}
        steps.append(Step("sft", "sft", (), gold, stable_seed(seed, "sft"), "sft"))
    return steps
