"""Epoch-state files of student steps (``stage_1/A.partial-<fp>.pt``): kept for a rerun with
the same inputs, deleted when inputs changed, when the step is forced, and when it finishes."""

from __future__ import annotations

from pipeline_fakes import tiny_config

from mckd.pipeline.run import run_pipeline


def test_forced_and_stale_epoch_states_are_deleted(tmp_path):
    first = run_pipeline(tiny_config(tmp_path))
    run_dir = first.run_dir
    assert list(run_dir.rglob("*.partial-*")) == []  # finished steps leave none
    stale_a = run_dir / "stage_1" / "A.partial-0123456789abcdef.pt"
    stale_final = run_dir / "final.partial-0123456789abcdef.pt"
    for path in (stale_a, stale_final):
        path.write_bytes(b"x")
    other = run_dir / "stage_1" / "Apple.partial-0123456789abcdef.pt"  # not stage_1/A's
    other.write_bytes(b"x")
    run_pipeline(tiny_config(tmp_path), force_from="stage_1/B")
    assert stale_a.exists() and not stale_final.exists()  # stage_1/A was not forced
    run_pipeline(tiny_config(tmp_path), force_from="stage_1/A")
    assert not stale_a.exists() and other.exists()
