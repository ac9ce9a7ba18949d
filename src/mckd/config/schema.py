"""The schema of one run (``mckd run CONFIG``): every section, its defaults and its limits.

A run config is YAML::

    name: craft-demo
    task: {name: constituency}
    data: {path: "builtin:craft_demo", labeled: labeled_50, unlabeled: unlabeled, test: test}
    teacher: {backend: simulated, simulated: {target_f1: 60}}
    student: {}                       # the student backend's defaults
    mckd: {stages: 3, partitions: 2, relabel: other, sweep: [2], mix_gold: false}
    baselines: {sft: true, vanilla_kd: true, kd_sd_filter: true}
    analyses: {heldout_curves: true}
    seed: 0                           # or seeds: [0, 1, 2] -> <run dir>/seed_<s> each

Every section forbids unknown keys. ``mckd.config.loading.load_config`` reads the file, applies
``key=value`` overrides and reports every problem at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mckd.config.student import StudentConfig
from mckd.config.teacher import TeacherConfig
from mckd.config.tracking import TrackingConfig

BUILTIN_PREFIX = "builtin:"


def builtin_data_root() -> Path:
    """The folder of datasets shipped inside the package (``builtin:NAME`` resolves here)."""
    import mckd

    return Path(mckd.__file__).parent / "data"


def builtin_dataset_names() -> list[str]:
    """Names usable as ``builtin:NAME`` (folders of the package's data with a dataset.json)."""
    root = builtin_data_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "dataset.json").is_file())


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskSection(_Section):
    """Which task (``mckd.tasks`` registry name) and the options its constructor takes."""

    name: str = Field("constituency", description="registered task name")
    options: dict[str, Any] = Field(default_factory=dict, description="task constructor options")


class DataSection(_Section):
    """Where the dataset lives and which of its splits play which role.

    A dataset is a folder with one ``<split>.jsonl`` per split (each line an ``Example``: id,
    source, gold, meta) and usually the ``dataset.json`` that ``mckd data`` writes; a split may
    instead be a Hugging Face dataset saved with ``save_to_disk`` (``<split>/``, same columns).
    ``path: builtin:NAME`` names a dataset shipped with mckd.
    """

    path: str = Field(..., description="dataset folder, or builtin:NAME")
    labeled: str = Field("labeled_50", description="gold demonstrations for the teacher's prompts")
    unlabeled: str = Field("unlabeled", description="inputs the teacher labels and students learn")
    test: str = Field("test", description="held-out split every method is scored on")
    dev: str | None = Field(None, description="optional gold dev split passed to student training")
    max_unlabeled: int | None = Field(None, ge=1, description="seeded subsample of unlabeled")
    max_test: int | None = Field(None, ge=1, description="seeded subsample of test")

    def resolved_path(self) -> Path:
        """The dataset folder: ``builtin:NAME`` -> the package's data folder, else the path."""
        if self.path.startswith(BUILTIN_PREFIX):
            return builtin_data_root() / self.path[len(BUILTIN_PREFIX):]
        return Path(self.path).expanduser()

    def split_file(self, split: str) -> Path:
        """Where ``split`` lives: ``<split>.jsonl``, else a ``<split>/`` folder written by
        ``datasets``' ``save_to_disk`` (a ``DatasetDict`` saved to ``path`` has one per split).
        When neither exists the JSONL path is returned (reading it names what is missing)."""
        root = self.resolved_path()
        jsonl, folder = root / f"{split}.jsonl", root / split
        if not jsonl.exists() and (folder / "state.json").is_file():
            return folder
        return jsonl

    def roles(self) -> dict[str, str]:
        """Role -> split name for every split this run reads."""
        roles = {"labeled": self.labeled, "unlabeled": self.unlabeled, "test": self.test}
        if self.dev is not None:
            roles["dev"] = self.dev
        return roles


class MckdSection(_Section):
    """The method's knobs.

    With ``partitions`` k, the unlabeled inputs are split into k balanced disjoint parts
    A, B, C, ...; at each collaborative stage the student of part P is trained on every part
    except the one after P (cyclically) and relabels that part, which it never saw. With k = 2
    this is exactly the paper: student A trains on A and relabels B, student B trains on B and
    relabels A.

    ``relabel: self`` is the paper's self-partition ablation: the same students (same training
    parts) relabel their own part P instead of the unseen one. ``sweep`` adds the final student
    after fewer stages to the same run (the stage chain is shared, so a sweep over 2..K costs
    one extra training per value). ``mix_gold`` adds the gold examples to every pseudolabel
    student's training data.
    """

    stages: int = Field(3, ge=1, le=20, description="K; 1 = vanilla KD, 3 = the paper's best")
    partitions: int = Field(2, ge=2, le=26, description="k balanced disjoint parts (paper: 2)")
    relabel: Literal["other", "self"] = Field(
        "other", description="'other': a stage student relabels the part it never saw (MCKD); "
        "'self': its own part (the self-partition ablation)")
    sweep: list[int] = Field(
        default_factory=list, description="also train and score the final student after each "
        "of these stage counts (2 .. stages-1); 1 is vanilla KD (baselines.vanilla_kd)")
    mix_gold: bool = Field(False, description="add the gold examples (data.labeled) to every "
                           "pseudolabel student's training data")
    eval_stages: bool = Field(False, description="also score each stage's students on test")

    @field_validator("sweep")
    @classmethod
    def _sorted_unique(cls, value: list[int]) -> list[int]:
        return sorted(set(value))

    @model_validator(mode="after")
    def _sweep_within_stages(self) -> MckdSection:
        for k in self.sweep:
            if k == 1:
                raise ValueError("sweep: 1 stage is vanilla KD; remove 1 and set "
                                 "baselines.vanilla_kd: true")
            if k >= self.stages:
                raise ValueError(f"sweep: {k} is not below mckd.stages {self.stages} (the final "
                                 f"student of {self.stages} stages is always trained); use values "
                                 f"2..{self.stages - 1} or raise mckd.stages")
        return self


class BaselinesSection(_Section):
    """Baselines trained in the same run directory so one table compares them."""

    vanilla_kd: bool = Field(
        True, description="a student on all teacher labels (the final step of a stages=1 run)"
    )
    sft: bool = Field(False, description="a student trained on the gold examples (data.labeled) "
                      "only")
    kd_sd_filter: bool = Field(
        False, description="KD + self-distillation with filter: the vanilla KD student relabels "
        "every input, the kd_sd_keep fraction with the highest mean token log-probability is "
        "kept, a fresh student trains on it (needs a student backend with scored generation)")
    kd_sd_keep: float = Field(0.5, gt=0.0, le=1.0, description="fraction kept by the filter "
                              "(paper: the best half)")


class AnalysesSection(_Section):
    """Extra measurements for the report (they cost time, so they are opt-in)."""

    heldout_curves: bool = Field(
        False, description="after every epoch of every student, also score it against gold on "
        "heldout_examples test inputs (a fidelity-vs-held-out curve; never used to select or "
        "stop; needs a student backend that accepts held-out pairs)")
    heldout_examples: int = Field(100, ge=1, description="seeded sample of the test split used "
                                  "by heldout_curves")


class RunStudentConfig(StudentConfig):
    """The student section of a run: any registered student backend name is accepted.

    Backends are pluggable (``mckd.students.STUDENTS``, extended by ``plugins``), so the name is
    checked against the registry when the config is loaded rather than against a fixed list.
    """

    backend: str = Field("seq2seq", description="registered student backend name")


class RunTeacherConfig(TeacherConfig):
    """The teacher section of a run: a built-in backend, or one a plugin registered
    (``mckd.teachers.TEACHERS``; checked against the registry when the config is loaded). A
    plugin's backend has no sub-section: it is built with ``None`` for its options.
    """

    backend: str = Field("simulated", description="teacher backend: simulated, openai, "
                         "transformers, replay, or a name a plugin registered")


class RunConfig(_Section):
    """A whole run: data, teacher, student, method, baselines, seed and where to write."""

    name: str = Field(..., description="run name; the run directory defaults to runs/<name>")
    task: TaskSection = Field(default_factory=TaskSection)
    data: DataSection
    teacher: RunTeacherConfig = Field(default_factory=RunTeacherConfig)
    student: RunStudentConfig = Field(default_factory=RunStudentConfig)
    mckd: MckdSection = Field(default_factory=MckdSection)
    baselines: BaselinesSection = Field(default_factory=BaselinesSection)
    analyses: AnalysesSection = Field(default_factory=AnalysesSection)
    seed: int = Field(0, ge=0, description="run seed; every step's seed derives from it")
    seeds: list[int] | None = Field(
        None, description="run once per seed into <run dir>/seed_<s> (overrides seed; "
        "`mckd run --seeds 0,1,2` sets it); the report aggregates them")
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    output_dir: str | None = Field(None, description="run directory (default runs/<name>)")
    plugins: list[str] = Field(
        default_factory=list,
        description="modules imported before validation; they may register tasks, teachers "
        "or student backends (e.g. a package of your own)",
    )

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not value or not all(c.isalnum() or c in "._-" for c in value) or value[0] == ".":
            raise ValueError(
                "must be non-empty and use only letters, digits, '.', '_' or '-' "
                "(it names the run directory)"
            )
        return value

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and (not value or any(s < 0 for s in value)
                                  or len(set(value)) != len(value)):
            raise ValueError("must be a non-empty list of distinct seeds >= 0, e.g. [0, 1, 2]")
        return value

    @model_validator(mode="after")
    def _kd_sd_needs_vanilla_kd(self) -> RunConfig:
        if self.baselines.kd_sd_filter and self.mckd.stages > 1 and not self.baselines.vanilla_kd:
            raise ValueError("baselines.kd_sd_filter relabels with the vanilla KD student: set "
                             "baselines.vanilla_kd: true (or kd_sd_filter: false)")
        return self

    def run_dir(self) -> Path:
        """The run directory: ``output_dir`` or ``runs/<name>`` (relative to the cwd)."""
        return Path(self.output_dir).expanduser() if self.output_dir else Path("runs") / self.name
