"""``mckd run``: exit codes, the printed table, and config errors before any work."""

from __future__ import annotations

from pipeline_fakes import tiny_config_text

from mckd.cli.main import EXIT_USER_ERROR, main


def test_run_prints_the_comparison_table_and_the_run_directory(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text(tiny_config_text(tmp_path / "run"), encoding="utf-8")
    assert main(["run", str(config), "mckd.stages=2"]) == 0
    out = capsys.readouterr().out
    assert "| method |" in out
    for label in ("teacher", "vanilla KD", "2-stage MCKD"):
        assert f"| {label} |" in out
    assert "simulation" in out
    assert f"run directory: {tmp_path / 'run'}" in out
    assert main(["run", str(config), "mckd.stages=2"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_bad_config_exits_2_listing_every_problem_and_writes_nothing(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text(tiny_config_text(tmp_path / "run"), encoding="utf-8")
    assert main(["run", str(config), "mckd.stages=0", "student.max_epoch=3"]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "2 problem(s)" in err
    assert "mckd.stages: must be >= 1 (got 0) [override]" in err
    assert "student.max_epoch: unknown key; did you mean 'max_epochs'?" in err
    assert not (tmp_path / "run").exists()


def test_changed_config_exits_2_naming_the_step_and_the_flag(tmp_path, capsys):
    config = tmp_path / "run.yaml"
    config.write_text(tiny_config_text(tmp_path / "run"), encoding="utf-8")
    assert main(["run", str(config), "mckd.stages=1"]) == 0
    capsys.readouterr()
    assert main(["run", str(config), "mckd.stages=1", "seed=5"]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "step 'teacher' finished with other inputs (changed: seed)" in err
    assert "--force-from teacher" in err
    assert main(["run", str(config), "mckd.stages=1", "seed=5", "--force"]) == 0
