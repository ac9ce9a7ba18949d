"""The teacher config section: defaults, limits and clear errors."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mckd.config.teacher import SimulatedTeacherConfig, TeacherConfig


def test_defaults_are_the_papers_craft_teacher():
    config = TeacherConfig()
    assert config.backend == "simulated"
    assert config.backend_options() is config.simulated
    assert config.simulated.target_f1 == 60.0
    assert config.simulated.systematic_share == 0.3
    assert config.simulated.systematic_rules is None


def test_a_yaml_like_section_validates():
    config = TeacherConfig.model_validate(
        {"backend": "simulated", "simulated": {"target_f1": 69.1, "systematic_share": 0.7,
                                               "systematic_rules": ["flatten_base_np"]}})
    assert config.simulated.target_f1 == 69.1
    assert config.simulated.systematic_rules == ["flatten_base_np"]


@pytest.mark.parametrize(("section", "where"), [
    ({"backend": "gpt5"}, "backend"),
    ({"simulated": {"target": 60}}, "target"),
    ({"simulated": {"target_f1": 120}}, "target_f1"),
    ({"simulated": {"target_f1": 0}}, "target_f1"),
    ({"simulated": {"systematic_share": 1.5}}, "systematic_share"),
    ({"simulated": {"spread": -1}}, "spread"),
    ({"simulated": {"calibration_size": 10}}, "calibration_size"),
])
def test_bad_values_name_the_field(section, where):
    with pytest.raises(ValidationError) as err:
        TeacherConfig.model_validate(section)
    assert where in str(err.value)


def test_failure_rates_must_leave_most_answers_intact():
    with pytest.raises(ValidationError, match="malformed_rate \\+ truncated_rate"):
        SimulatedTeacherConfig(malformed_rate=0.4, truncated_rate=0.2)
    with pytest.raises(ValidationError, match="systematic_rules is empty"):
        SimulatedTeacherConfig(systematic_rules=[])
