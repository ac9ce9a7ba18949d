"""Run progress: each step's index, the run's elapsed time, the estimated time left."""

from __future__ import annotations

import re

import pytest
from pipeline_fakes import tiny_config

from mckd.pipeline.data import load_run_data
from mckd.pipeline.progress import Progress, duration, step_units
from mckd.pipeline.run import run_pipeline
from mckd.pipeline.steps import build_plan
from mckd.tasks import get_task

UNITS = {"teacher": 60.0, "partitions": 0.0, "stage_1/A": 100.0, "stage_1/B": 100.0,
         "final": 200.0, "evaluate": 50.0}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_eta_is_unknown_until_each_kind_left_is_measured_then_scales_by_size():
    clock = Clock()
    progress = Progress(UNITS, [], clock=clock)
    assert progress.start("teacher") == "step 1/6 teacher"
    assert progress.times() == "0 s elapsed, ETA unknown"
    clock.now += 6
    progress.finish("teacher", 6.0)
    assert progress.start("partitions") == "step 2/6 partitions"
    assert progress.times() == "6 s elapsed, ETA unknown"  # no student measured yet
    progress.finish("partitions", 0.0)
    progress.start("stage_1/A")
    clock.now += 20
    progress.finish("stage_1/A", 20.0)  # 0.2 s per unit
    assert progress.start("stage_1/B") == "step 4/6 stage_1/B"
    # left: stage_1/B 100 + final 200 + evaluate 50 units at 0.2 s each
    assert progress.seconds_left() == pytest.approx(70.0)
    assert progress.times() == "26 s elapsed, about 1 min 10 s left"


def test_parallel_students_count_a_share_of_their_time_and_skipped_steps_count_as_done():
    clock = Clock()
    progress = Progress(UNITS, ["teacher", "partitions"], workers=2, clock=clock)
    assert progress.start("stage_1/A") == "step 3/6 stage_1/A"
    assert progress.start("stage_1/B") == "step 4/6 stage_1/B"
    clock.now += 40
    progress.finish("stage_1/A", 40.0)  # 0.4 s per unit, two students at a time
    # stage_1/B (running, counted whole) 100 + final 200 units, halved; evaluate 50 alone
    assert progress.seconds_left() == pytest.approx((100 + 200) * 0.4 / 2 + 50 * 0.4)
    assert progress.times() == "40 s elapsed, about 1 min 20 s left"


def test_durations_read_as_minutes_and_hours():
    assert [duration(s) for s in (0.4, 59, 65, 3599, 3720)] == \
        ["0 s", "59 s", "1 min 05 s", "59 min 59 s", "1 h 02 min"]


def test_step_sizes_follow_pairs_epochs_and_inputs(tmp_path):
    config = tiny_config(tmp_path, "student.max_epochs=4", "baselines.sft=true",
                         "baselines.kd_sd_filter=true")
    data = load_run_data(config, get_task("constituency"))
    units = {s.name: step_units(s, config, data) for s in build_plan(config, data).steps}
    # tiny fixture: 48 unlabeled, 12 test, 2 parts of 24; 4 epochs
    assert units["teacher"] == 48 + 12
    assert units["partitions"] == 0
    assert units["stage_1/A"] == 24 * 4 + 24  # trains on its part, relabels the other
    assert units["final"] == units["vanilla_kd"] == 48 * 4
    assert units["kd_sd_filter"] == 48 + 24 * 4  # relabels all, trains on the kept half
    assert units["sft"] == len(data.splits["labeled"]) * 4
    assert units["evaluate"] == 12 * 4  # final, vanilla KD, KD + SD, SFT (the teacher is free)


def started_lines(run_dir) -> list[str]:
    text = (run_dir / "run.log").read_text(encoding="utf-8")
    return re.findall(r"(step \d+/\d+ \S+: started.*)", text)


def test_a_run_numbers_its_steps_and_a_resumed_run_counts_the_skipped_ones(tmp_path):
    result = run_pipeline(tiny_config(tmp_path))
    lines = started_lines(result.run_dir)
    assert [line.split(":")[0] for line in lines] == [
        "step 1/9 teacher", "step 2/9 partitions", "step 3/9 stage_1/A", "step 4/9 stage_1/B",
        "step 5/9 stage_2/A", "step 6/9 stage_2/B", "step 7/9 final", "step 8/9 vanilla_kd",
        "step 9/9 evaluate"]
    assert lines[0].endswith("elapsed, ETA unknown")
    assert "ETA unknown" in lines[2]  # no student has finished yet
    assert re.search(r"s elapsed, about \d+ s left$", lines[3])  # stage_1/A measured
    again = run_pipeline(tiny_config(tmp_path, "student.max_epochs=3"), force_from="stage_1/A")
    resumed = started_lines(again.run_dir)[len(lines):]
    assert resumed[0].startswith("step 3/9 stage_1/A: started")
    assert resumed[-1].startswith("step 9/9 evaluate: started")
