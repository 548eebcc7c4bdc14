"""The LLM path: the embedded SmolLM2 (agents.backends.hf) as HILA's expert and as a Maestro
registry entry. The replies are graded like any other; nothing here may raise."""

import pytest
import yaml

pytest.importorskip("transformers")

from agents.backends.hf import HFPolicy  # noqa: E402
from envs.hila.env import HilaEnv  # noqa: E402
from envs.hila.solvers import PolicySolver  # noqa: E402
from envs.maestro.env import MaestroEnv  # noqa: E402


@pytest.fixture(scope="module")
def smollm2():
    return HFPolicy("default", device="cpu")


def test_smollm2_expert_answers_a_hila_deferral(smollm2):
    env = HilaEnv(task_types=("math-d1",), n_agents=2, rounds=1, expert=PolicySolver(smollm2, max_tokens=12))
    env.reset(seed=0)
    _, rewards, terms, _, infos = env.step({"agent_0": "DEFER", "agent_1": "EVAL 0"})
    answer = env.answers[0]  # the model's reply, graded like any answer
    assert all(terms.values()) and infos["agent_0"]["action_valid"] and isinstance(answer, str)
    assert rewards["agent_0"] == pytest.approx(float(env.task.grade(answer)) - 0.3)


def test_smollm2_registry_entry_from_yaml(tmp_path):
    path = tmp_path / "experts.yaml"
    path.write_text(yaml.safe_dump({"experts": [{"model": "SmolLM2", "skill": "solve", "description": "135M, local",
                                                 "cost": 0.1, "accuracy": {"math-d2": 0.2},
                                                 "backend": {"type": "hf", "model": "default", "device": "cpu",
                                                             "max_tokens": 12}}]}))
    env = MaestroEnv(registry=str(path), task_types=("math-d2",))
    env.reset(seed=0)
    obs, reward, _, _, info = env.step("<call>SmolLM2@@solve: give the final number</call>")
    assert obs.startswith("SmolLM2@@solve replied:") and reward == pytest.approx(-0.03) and info["calls"] == 1
    _, reward, terminated, _, _ = env.step(info["admissible_actions"][-1])
    assert terminated and reward in (0.0, 1.0)
