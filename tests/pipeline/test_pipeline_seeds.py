"""Several seeds of one config: one run directory per seed, one aggregated report."""

from __future__ import annotations

import json

import pytest
from pipeline_fakes import tiny_config, tiny_config_text

from mckd.cli.main import EXIT_USER_ERROR, main
from mckd.core.errors import ConfigError, RunStateError
from mckd.pipeline.run import run_pipeline
from mckd.pipeline.seeds import run_seeds


def test_seeds_flag_runs_each_seed_and_reports_mean_and_spread(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text(tiny_config_text(tmp_path / "multi"), encoding="utf-8")
    assert main(["run", str(config), "mckd.stages=2", "--seeds", "0,1"]) == 0
    out = capsys.readouterr().out
    base = tmp_path / "multi"
    for seed in (0, 1):
        metrics = json.loads((base / f"seed_{seed}" / "metrics.json").read_text())
        assert metrics["seed"] == seed
        saved = (base / f"seed_{seed}" / "config.yaml").read_text()
        assert f"seed: {seed}\n" in saved and "seeds: null" in saved
    assert "| 2-stage MCKD | 2 |" in out and " ± " in out  # the aggregated table
    assert "| vanilla KD | teacher |" in out  # the differences table
    report = (base / "report.md").read_text()
    assert "seeds 0, 1" in report and (base / "teacher_quality.png").is_file()
    assert main(["run", str(config), "mckd.stages=2", "--seeds", "0,1"]) == 0
    assert capsys.readouterr().out.count("nothing to do") == 2


def test_seeds_in_the_config_work_like_the_flag(tmp_path):
    config = tiny_config(tmp_path, "mckd.stages=1", "seeds=[3]")
    assert config.seeds == [3]
    with pytest.raises(ConfigError, match="seeds: \\[3\\] asks for one run per seed"):
        run_pipeline(config)
    [result] = run_seeds(config, config.seeds)
    assert result.run_dir == config.run_dir() / "seed_3" and result.metrics["seed"] == 3


def test_a_single_seed_run_directory_is_not_reused_for_seeds(tmp_path):
    config = tiny_config(tmp_path, "mckd.stages=1")
    run_pipeline(config)
    with pytest.raises(RunStateError, match="holds a single-seed run"):
        run_seeds(config, [0, 1])


def test_bad_seed_lists_are_refused(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text(tiny_config_text(tmp_path / "bad"), encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["run", str(config), "--seeds", "0,x"])
    assert "comma-separated integers" in capsys.readouterr().err
    assert main(["run", str(config), "seeds=[1, 1]"]) == EXIT_USER_ERROR
    assert "distinct seeds" in capsys.readouterr().err
