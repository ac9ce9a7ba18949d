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
Options that are off add nothing to a fingerprint, so runs made before they existed resume;
settings marked on the schema as runtime-only or added later are left out
(``mckd.config.fingerprints``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mckd.config.fingerprints import fingerprinted
from mckd.config.schema import RunConfig
from mckd.core.hashing import fingerprint, stable_seed
from mckd.pipeline.context import Step
from mckd.pipeline.data import RunData
from mckd.pipeline.manifest import Manifest
from mckd.pipeline.partitions import part_names, relabeled_part, training_parts

#: step kinds that train a student (``Run.student`` hands them to ``run.students``)
STUDENT_KINDS = frozenset({"stage", "final", "vanilla_kd", "kd_sd_filter", "sft"})


def teacher_inputs(config: RunConfig) -> dict[str, Any]:
    """The teacher settings that shape its labels: the backend and its own section only."""
    backend, options = config.teacher.backend, config.teacher.backend_options()
    return {"backend": backend, backend: None if options is None else fingerprinted(options)}


def input_parts(step: Step, manifest: Manifest, *, known: bool = False) -> dict[str, Any] | None:
    """What the step's input fingerprint is made of, or None if a dependency is unfinished
    (``known``: leave unfinished dependencies out instead)."""
    parts: dict[str, Any] = {"seed": step.seed}
    parts.update({f"config.{key}": fingerprint(value) for key, value in step.config.items()})
    for dep in step.deps:
        entry = manifest.done(dep)
        if entry is None and not known:
            return None
        if entry is not None:
            parts[f"output of {dep}"] = entry["output_fingerprint"]
    return parts


@dataclass(frozen=True)
class Plan:
    """The steps of one run, by role (``build_plan``); ``steps`` lists them in run order.

    Attributes:
        teacher: the LLM (or stand-in) labels every unlabeled and test input.
        partitions: splits the unlabeled inputs into parts (None when K = 1).
        stages: the collaborative stages 1 .. K-1, each one student per part.
        finals: the final student (K stages), then ``final_<j>`` for each j of ``mckd.sweep``.
        vanilla_kd, kd_sd_filter, sft: the baselines the config asks for (else None).
        evaluate: scores the teacher and the students on test.
    """

    teacher: Step
    partitions: Step | None
    stages: list[list[Step]]
    finals: list[Step]
    vanilla_kd: Step | None
    kd_sd_filter: Step | None
    sft: Step | None
    evaluate: Step

    @property
    def steps(self) -> list[Step]:
        """Every step, each after the steps it reads."""
        middle = [self.partitions, *(s for stage in self.stages for s in stage), *self.finals,
                  self.vanilla_kd, self.kd_sd_filter, self.sft]
        return [self.teacher, *(s for s in middle if s is not None), self.evaluate]

    def by_name(self) -> dict[str, Step]:
        return {s.name: s for s in self.steps}


def build_plan(config: RunConfig, data: RunData) -> Plan:
    """All steps of ``config``'s run."""
    K, seed = config.mckd.stages, config.seed
    prints = data.fingerprints
    task = config.task.model_dump(mode="json")
    student = fingerprinted(config.student)
    watch = _heldout_inputs(config, data)
    learn = {"task": task, "student": student, "data.dev": prints.get("dev"), **watch}
    if config.mckd.mix_gold:
        learn["mix_gold"] = prints["labeled"]
    teacher = Step(
        "teacher", "teacher", (),
        {"task": task, "teacher": teacher_inputs(config),
         "data": {role: prints[role] for role in ("labeled", "unlabeled", "test")}},
        stable_seed(seed, "teacher"), "teacher",
    )
    partitions, stages = _stage_chain(config, data, learn) if K > 1 else (None, [])
    # stage count j -> steps whose labels a j-stage final reads
    labels_after = {1: ("teacher",), **{j + 1: tuple(s.name for s in stage)
                                        for j, stage in enumerate(stages, start=1)}}
    # With K = 1 the final student is vanilla KD: same seed as the baseline step.
    final_seed = stable_seed(seed, "vanilla_kd" if K == 1 else "final")
    finals = [Step("final", "final", labels_after[K], {**learn, "role": "all inputs"},
                   final_seed, "final", stage=K)]
    for j in config.mckd.sweep:  # same seed as the final of a j-stage run
        finals.append(Step(f"final_{j}", "final", labels_after[j], {**learn, "role": "all inputs"},
                           stable_seed(seed, "final"), f"final_{j}", stage=j))
    vanilla_kd, kd_sd_filter, sft = _baselines(config, data, learn, watch)
    students = [*finals, vanilla_kd, kd_sd_filter, sft]
    evaluated = [s.name for s in students if s is not None]
    if config.mckd.eval_stages:
        evaluated += [s.name for stage in stages for s in stage]
    evaluate = Step("evaluate", "evaluate", ("teacher", *evaluated),
                    {"task": task, "student": student, "data.test": prints["test"]},
                    stable_seed(seed, "evaluate"), None)
    return Plan(teacher, partitions, stages, finals, vanilla_kd, kd_sd_filter, sft, evaluate)


def _heldout_inputs(config: RunConfig, data: RunData) -> dict[str, Any]:
    """Fingerprint part for ``analyses.heldout_curves`` (empty when off)."""
    if not config.analyses.heldout_curves:
        return {}
    return {"heldout": {"test": data.fingerprints["test"]["ids"],
                        "n": config.analyses.heldout_examples}}


def _stage_chain(config: RunConfig, data: RunData,
                 learn: dict[str, Any]) -> tuple[Step, list[list[Step]]]:
    """``partitions`` and the collaborative stages 1 .. K-1 (one student per part)."""
    K, k, seed = config.mckd.stages, config.mckd.partitions, config.seed
    part_config: dict[str, Any] = {"data.unlabeled": data.fingerprints["unlabeled"]["ids"],
                                   "mckd.partitions": k}
    if config.mckd.relabel != "other":
        part_config["mckd.relabel"] = config.mckd.relabel
    partitions = Step("partitions", "partitions", (), part_config,
                      stable_seed(seed, "partitions"), "partitions.json")
    names = part_names(k)
    labels_from: tuple[str, ...] = ("teacher",)
    stages = []
    for stage in range(1, K):
        stage_steps = []
        for part in names:
            name = f"stage_{stage}/{part}"
            role = {"stage": stage, "part": part, "trains_on": training_parts(part, names),
                    "relabels": relabeled_part(part, names, config.mckd.relabel)}
            stage_steps.append(Step(name, "stage", ("partitions", *labels_from),
                                    {**learn, "role": role}, stable_seed(seed, name), name,
                                    stage=stage, params=role, part=part))
        stages.append(stage_steps)
        labels_from = tuple(s.name for s in stage_steps)
    return partitions, stages


def _baselines(config: RunConfig, data: RunData, learn: dict[str, Any], watch: dict[str, Any]
               ) -> tuple[Step | None, Step | None, Step | None]:
    """(vanilla KD, KD + SD with filter, SFT): the baseline students the config asks for."""
    K, seed, base = config.mckd.stages, config.seed, config.baselines
    vanilla_kd = kd_sd_filter = sft = None
    if base.vanilla_kd and K > 1:
        vanilla_kd = Step("vanilla_kd", "vanilla_kd", ("teacher",),
                          {**learn, "role": "all inputs"}, stable_seed(seed, "vanilla_kd"),
                          "vanilla_kd", stage=1)
    if base.kd_sd_filter:
        kd_student = "final" if K == 1 else "vanilla_kd"
        kd_sd_filter = Step("kd_sd_filter", "kd_sd_filter", (kd_student,),
                            {**learn, "role": "self-distillation", "keep": base.kd_sd_keep},
                            stable_seed(seed, "kd_sd_filter"), "kd_sd_filter", stage=1,
                            params={"keep": base.kd_sd_keep})
    if base.sft:
        gold = {"task": learn["task"], "student": learn["student"],
                "data.dev": learn["data.dev"], "data.labeled": data.fingerprints["labeled"],
                **watch}
        sft = Step("sft", "sft", (), gold, stable_seed(seed, "sft"), "sft")
    return vanilla_kd, kd_sd_filter, sft
