"""``mckd plan``: requests, tokens, cost, ledger hits and a sample prompt, with nothing sent."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "pipeline"))
sys.path.insert(0, str(TESTS / "teachers"))

from fake_openai_server import FakeOpenAIServer  # noqa: E402
from pipeline_fakes import FAKE_TEACHER, TINY, tiny_config_text  # noqa: E402

from mckd.cli.main import main  # noqa: E402
from mckd.config.llm import OpenAITeacherConfig  # noqa: E402
from mckd.core.hashing import stable_seed  # noqa: E402
from mckd.prompting import estimate_tokens  # noqa: E402
from mckd.tasks.constituency.task import ConstituencyTask  # noqa: E402
from mckd.teachers.openai_backend import OpenAITeacher  # noqa: E402

TASK = ConstituencyTask()
SIMULATED = "teacher: {backend: simulated, simulated: {target_f1: 60, calibration_size: 50}}\n"
N_INPUTS = 48 + 12  # tiny fixture: unlabeled + test


def write_config(tmp_path: Path, teacher_yaml: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(tiny_config_text(tmp_path / "run").replace(FAKE_TEACHER, teacher_yaml),
                    encoding="utf-8")
    return path


def openai_yaml(ledger: Path) -> str:
    return ("teacher:\n  backend: openai\n  openai:\n    model: gpt-test\n"
            "    base_url: http://127.0.0.1:9/v1\n    api_key_env: MCKD_PLAN_TEST_KEY_UNSET\n"
            "    max_tokens: 256\n    progress_bar: false\n"
            f"    ledger: {{path: {ledger}}}\n    prompt: {{num_demos: 3}}\n"
            "    budget: {usd_per_million_prompt_tokens: 2.0, "
            "usd_per_million_completion_tokens: 8.0}\n")


def plan_json(capsys, config: Path, *overrides: str) -> dict:
    assert main(["plan", str(config), "--json", *overrides]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow  # labels through a local server
def test_plan_counts_requests_tokens_cost_and_ledger_hits(tmp_path, capsys):
    ledger = tmp_path / "cache" / "teacher.sqlite"
    config = write_config(tmp_path, openai_yaml(ledger))
    plan = plan_json(capsys, config)
    assert not ledger.exists()  # looking did not create it
    assert plan["requests"] == plan["to_send"] == plan["inputs"] == N_INPUTS
    assert plan["cached"] == 0 and plan["token_counter"].startswith("estimate")
    assert plan["prompt_tokens"] > N_INPUTS * 50
    assert 0 < plan["completion_tokens"] <= plan["completion_tokens_max"] == 256 * N_INPUTS
    assert plan["cost_usd"] == pytest.approx(
        (plan["prompt_tokens"] * 2.0 + plan["completion_tokens"] * 8.0) / 1e6, abs=1e-4)
    assert plan["sample_prompt"].startswith("[user]\nInput: ")
    assert plan["sample_prompt"].endswith("\nOutput:")
    assert plan["sample_prompt"].count("Input: ") == 4  # 3 demos + the query

    # label the first 5 inputs through the real teacher (same seed): the plan sees them
    labeled = TASK.load(str(TINY / "labeled_50.jsonl"))
    inputs = TASK.load(str(TINY / "unlabeled.jsonl"))[:5]
    with FakeOpenAIServer() as server:
        cfg = OpenAITeacherConfig(model="gpt-test", base_url=server.base_url, api_key_env=None,
                                  max_tokens=256, progress_bar=False, prompt={"num_demos": 3})
        teacher = OpenAITeacher(TASK, cfg, demos=labeled, seed=stable_seed(0, "teacher"),
                                ledger_path=ledger)
        assert len(list(teacher.complete(inputs))) == 5
        sent = server.counts["requests"]
        again = plan_json(capsys, config)
        assert server.counts["requests"] == sent  # plan sends nothing
    assert again["cached"] == 5 and again["to_send"] == N_INPUTS - 5
    assert again["prompt_tokens"] < plan["prompt_tokens"]


def test_plan_prints_a_readable_summary(tmp_path, capsys):
    config = write_config(tmp_path, openai_yaml(tmp_path / "l.sqlite"))
    assert main(["plan", str(config), "teacher.openai.endpoint=completions"]) == 0
    out = capsys.readouterr().out
    assert f"inputs to label: {N_INPUTS} (unlabeled 48 + test 12)" in out
    assert f"requests: {N_INPUTS}; already answered in the ledger" in out
    assert "characters / 4" in out and "cost: ~$" in out and "nothing was sent." in out
    assert "sample prompt (input " in out and "\nInput: " in out


def test_plan_without_prices_says_how_to_set_them(tmp_path, capsys):
    yaml = openai_yaml(tmp_path / "l.sqlite").replace(
        "    budget: {usd_per_million_prompt_tokens: 2.0, usd_per_million_completion_tokens: "
        "8.0}\n", "")
    assert main(["plan", str(write_config(tmp_path, yaml))]) == 0
    assert "cost: unknown; set teacher.openai.budget.usd_per_million_prompt_tokens" in (
        capsys.readouterr().out)


@pytest.mark.slow  # loads a tokenizer with transformers
def test_plan_with_a_local_model_counts_with_its_tokenizer(tmp_path, capsys):
    pytest.importorskip("torch")
    from tiny_causal_lm import build_tiny_causal_lm

    model = build_tiny_causal_lm(tmp_path / "model")
    yaml = ("teacher:\n  backend: transformers\n  transformers:\n"
            f"    model: {model}\n    max_tokens: 16\n"
            f"    ledger: {{path: {tmp_path / 'l.sqlite'}}}\n    prompt: {{num_demos: 2}}\n")
    plan = plan_json(capsys, write_config(tmp_path, yaml))
    assert plan["token_counter"] == f"the tokenizer of {model}"
    assert plan["cost_usd"] is None and plan["details"]["chat_template"] is True
    assert plan["sample_prompt"].startswith("<|user|>\nInput: ")
    assert plan["completion_tokens_max"] == 16 * N_INPUTS and plan["to_send"] == N_INPUTS
    # a 400-token byte-level BPE splits text finer than the chars/4 estimate
    assert plan["prompt_tokens"] > sum(estimate_tokens(p) for p in [plan["sample_prompt"]])


def test_plan_of_replay_and_simulated_teachers(tmp_path, capsys):
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"id": "nope", "raw": "( x )"}) + "\n", encoding="utf-8")
    config = write_config(tmp_path, f"teacher: {{backend: replay, replay: {{path: {labels}}}}}\n")
    assert main(["plan", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"joined: 0; without a label (recorded as invalid): {N_INPUTS}" in out
    assert "file records no input uses: 1" in out and "no requests, no cost." in out
    assert main(["plan", str(write_config(tmp_path, SIMULATED))]) == 0
    assert "a simulation: no requests, no tokens, no cost." in capsys.readouterr().out
