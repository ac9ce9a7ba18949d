"""Config of baselines, ablations, analyses and seeds: defaults off, mistakes named with the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from mckd.config.loading import load_config
from mckd.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "pipeline_tiny"


def load(tmp_path: Path, *overrides: str):
    path = tmp_path / "run.yaml"
    path.write_text(f"name: t\ndata: {{path: {TINY}}}\n", encoding="utf-8")
    return load_config(path, list(overrides))


def test_defaults_are_the_plain_method_with_vanilla_kd(tmp_path):
    config = load(tmp_path)
    assert (config.baselines.sft, config.baselines.vanilla_kd, config.baselines.kd_sd_filter) == (
        False, True, False)
    assert config.baselines.kd_sd_keep == 0.5
    assert (config.mckd.relabel, config.mckd.sweep, config.mckd.mix_gold) == ("other", [], False)
    assert config.analyses.heldout_curves is False and config.seeds is None


def test_everything_on(tmp_path):
    config = load(tmp_path, "mckd.stages=4", "mckd.sweep=[3, 2, 3]", "mckd.relabel=self",
                  "mckd.mix_gold=true", "baselines={sft: true, kd_sd_filter: true}",
                  "analyses.heldout_curves=true", "seeds=[0, 1, 2]")
    assert config.mckd.sweep == [2, 3] and config.seeds == [0, 1, 2]
    assert config.baselines.sft and config.baselines.kd_sd_filter and config.baselines.vanilla_kd


@pytest.mark.parametrize(("overrides", "message"), [
    (["mckd.sweep=[3]"], "mckd: sweep: 3 is not below mckd.stages 3"),
    (["mckd.sweep=[1]"], "sweep: 1 stage is vanilla KD; remove 1 and set baselines.vanilla_kd"),
    (["mckd.relabel=mine"], "mckd.relabel: must be one of 'other' or 'self'"),
    (["baselines.kd_sd_filter=true", "baselines.vanilla_kd=false"],
     "baselines.kd_sd_filter relabels with the vanilla KD student: set baselines.vanilla_kd"),
    (["baselines.kd_sd_keep=0"], "baselines.kd_sd_keep: must be > 0.0"),
    (["seeds=[]"], "seeds: must be a non-empty list of distinct seeds"),
    (["analyses.heldout_examples=0"], "analyses.heldout_examples: must be >= 1"),
])
def test_mistakes_name_the_field_and_the_fix(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match="problem") as exc:
        load(tmp_path, *overrides)
    assert message in str(exc.value)


def test_kd_sd_on_a_one_stage_run_needs_no_separate_vanilla_kd(tmp_path):
    config = load(tmp_path, "mckd.stages=1", "baselines.kd_sd_filter=true",
                  "baselines.vanilla_kd=false")
    assert config.baselines.kd_sd_filter


def test_the_table1_examples_differ_only_in_the_ablation():
    main = load_config(ROOT / "examples" / "craft-table1.yaml")
    ablation = load_config(ROOT / "examples" / "craft-table1-self.yaml")
    assert main.baselines.sft and main.baselines.kd_sd_filter and main.mckd.sweep == [2]
    assert (main.mckd.relabel, ablation.mckd.relabel) == ("other", "self")
    for section in ("data", "teacher", "student", "task", "seeds"):
        assert getattr(main, section) == getattr(ablation, section), section
    assert main.mckd.stages == ablation.mckd.stages == 3
