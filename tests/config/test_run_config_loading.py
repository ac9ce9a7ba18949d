"""Run configs: YAML + overrides + validation, every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from mckd.config.loading import dump_config, load_config
from mckd.config.schema import builtin_data_root
from mckd.core.errors import ConfigError
from mckd.pipeline.config_checks import load_run_config

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "fixtures" / "pipeline_tiny"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def minimal(extra: str = "") -> str:
    return f"name: t\ndata: {{path: {TINY}}}\n{extra}"


def problems(exc: pytest.ExceptionInfo[ConfigError]) -> list[str]:
    return [line[4:] for line in str(exc.value).splitlines() if line.startswith("  - ")]


def test_every_problem_is_reported_together_with_path_line_and_fix(tmp_path):
    path = write(tmp_path, minimal(
        "teacher:\n  backend: simulated\n  simulatd: {target_f1: 60}\n"
        "mckd: {stages: 0}\n"
        "student: {max_epochs: 0}\n"))
    with pytest.raises(ConfigError) as exc:
        load_config(path, ["mckd.partition=3", "seed=-1", "no-equals-sign"])
    found = problems(exc)
    assert len(found) == 6, found
    text = "\n".join(found)
    assert "teacher.simulatd: unknown key; did you mean 'simulated'?" in text
    assert f"[{path} line 5]" in text  # the line of the unknown key
    assert "mckd.stages: must be >= 1 (got 0)" in text
    assert "student.max_epochs: must be >= 1" in text
    assert "mckd.partition: unknown key; did you mean 'partitions'? [override]" in text
    assert "seed: must be >= 0 (got -1) [override]" in text
    assert "override 'no-equals-sign': expected key=value" in text


def test_overrides_are_parsed_as_yaml_and_applied_in_order(tmp_path):
    path = write(tmp_path, minimal("mckd: {stages: 3}\n"))
    config = load_config(path, ["student.max_epochs=3", "mckd.stages=1", "mckd.stages=2",
                                "data.dev=dev", "baselines.vanilla_kd=false", "seed=7"])
    assert config.student.max_epochs == 3
    assert config.mckd.stages == 2
    assert config.data.dev == "dev"
    assert config.baselines.vanilla_kd is False
    assert config.seed == 7
    assert config.run_dir() == Path("runs/t")


def test_override_into_a_scalar_is_explained(tmp_path):
    with pytest.raises(ConfigError, match=r"seed is 0, not a section; set seed=\.\.\. instead"):
        load_config(write(tmp_path, minimal("seed: 0\n")), ["seed.value=1"])


def test_missing_file_and_yaml_syntax_error_name_file_and_line(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    path = write(tmp_path, "name: t\ndata:\n  path: [unclosed\nseed: 1\n")
    with pytest.raises(ConfigError, match=rf"{path}:\d+: invalid YAML"):
        load_config(path)
    path = write(tmp_path, "name: t\nseed: 1\nseed: 2\n")
    with pytest.raises(ConfigError, match=rf"{path}:3: .*duplicate key 'seed' \(first set on line 2\)"):
        load_config(path)
    path = write(tmp_path, "- just\n- a list\n")
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(path)


def test_data_problems_name_the_dataset_and_the_available_splits(tmp_path):
    path = write(tmp_path, f"name: t\ndata: {{path: {TINY}, labeled: labeled_250, test: tset}}\n")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    text = str(exc.value)
    assert "data.labeled: no split 'labeled_250'" in text
    assert "data.test: no split 'tset'" in text
    assert "available: dev, labeled_50, test, unlabeled" in text
    with pytest.raises(ConfigError, match="data.path: .* is not a folder"):
        load_config(write(tmp_path, "name: t\ndata: {path: /no/such/dataset}\n"))
    with pytest.raises(ConfigError, match="data.test: 'unlabeled' is also used for training"):
        load_config(write(tmp_path, minimal()), ["data.test=unlabeled"])


def test_builtin_dataset_resolves_inside_the_package(tmp_path):
    config = load_config(write(tmp_path, "name: t\ndata: {path: 'builtin:craft_demo'}\n"))
    assert config.data.resolved_path() == builtin_data_root() / "craft_demo"
    with pytest.raises(ConfigError, match="no builtin dataset 'craft_dem'; did you mean 'craft_demo'"):
        load_config(write(tmp_path, "name: t\ndata: {path: 'builtin:craft_dem'}\n"))


def test_backends_tasks_and_formats_are_checked_against_the_registries(tmp_path):
    path = write(tmp_path, minimal("task: {name: parsing}\nstudent: {backend: nope}\n"
                                   "teacher: {backend: gpt}\n"))
    with pytest.raises(ConfigError) as exc:
        load_run_config(path)
    text = str(exc.value)
    assert "task.name: unknown task 'parsing'; valid choices: constituency" in text
    assert "student.backend: unknown student backend 'nope'; valid choices:" in text
    assert "teacher.backend: unknown teacher backend 'gpt'; valid choices:" in text
    assert "openai, replay, simulated" in text
    with pytest.raises(ConfigError, match="student.target_format: constituency has no format 'tree'"):
        load_run_config(write(tmp_path, minimal()), ["student.target_format=tree"])


def test_plugins_are_imported_before_validation(tmp_path, monkeypatch):
    (tmp_path / "my_backends.py").write_text(
        "from mckd.students import STUDENTS\nSTUDENTS.register('mine', object)\n"
        "from mckd.teachers import TEACHERS\nTEACHERS.register('my_llm', object)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    config = load_run_config(write(tmp_path, minimal("plugins: [my_backends]\n"
                                                 "student: {backend: mine}\n"
                                                 "teacher: {backend: my_llm}\n")))
    assert config.student.backend == "mine"
    assert config.teacher.backend == "my_llm" and config.teacher.backend_options() is None
    with pytest.raises(ConfigError, match="plugins.0: cannot import 'not_a_module'"):
        load_run_config(write(tmp_path, minimal("plugins: [not_a_module]\n")))


def test_resolved_config_round_trips(tmp_path):
    config = load_config(write(tmp_path, minimal()), ["mckd.stages=2", "student.lr=0.001"])
    saved = tmp_path / "saved.yaml"
    saved.write_text(dump_config(config), encoding="utf-8")
    assert load_config(saved) == config


def test_shipped_demo_config_is_valid():
    config = load_config(ROOT / "examples" / "craft-demo.yaml")
    assert config.teacher.backend == "simulated"
    assert config.teacher.simulated.target_f1 == 57.5  # about 60 on the demo's shorter sentences
    assert config.mckd.stages == 3 and config.baselines.vanilla_kd
    assert config.data.labeled == "labeled_50"
