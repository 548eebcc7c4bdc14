"""Maestro-v0: calls, answers, the reward, format errors and the registry file (the contract
itself runs in test_env_contract.py)."""

import pytest
import yaml

import envs
from envs.maestro.env import MaestroEnv
from envs.maestro.registry import DEFAULT_REGISTRY, load_registry, parse_entries

SURE = {"experts": [{"model": "Oracle", "skill": "solve", "description": "always right", "cost": 0.5,
                     "accuracy": {"math-d2": 1.0, "math-d4": 1.0, "qa-2hop": 1.0, "qa-4hop": 1.0}},
                    {"model": "Oracle", "skill": "guess", "description": "never right", "cost": 0.1}]}


def test_reward_is_correctness_minus_beta_times_cost():
    env = MaestroEnv(registry=parse_entries(SURE), beta=0.4)
    obs, info = env.reset(seed=0)
    assert "Oracle@@solve: always right; cost 0.5" in obs and "Oracle@@guess" in obs  # the registry is in the prompt
    _, r1, _, _, info = env.step("<call>Oracle@@guess: try</call>")
    obs, r2, _, _, info = env.step("<call>Oracle@@solve: solve it</call>")
    assert (r1, r2) == (pytest.approx(-0.04), pytest.approx(-0.2)) and info["calls"] == 2 and info["cost"] == pytest.approx(0.6)
    right = f"<answer>{env.problem.answer}</answer>"
    assert right in info["admissible_actions"] and "Oracle@@solve replied" in obs
    _, r3, terminated, _, info = env.step(right)
    assert r3 == 1.0 and terminated and info["won"] is True
    assert r1 + r2 + r3 == pytest.approx(1 - 0.4 * 0.6)


@pytest.mark.parametrize("action, why", [
    ("<call>Nobody@@solve: x</call>", "there is no model 'Nobody'"),
    ("<call>Oracle@@dance: x</call>", "Oracle has no skill 'dance'; its skills are solve, guess"),
    ("<call>Oracle@@solve:   </call>", "the input after ':' is empty"),
    ("<call>Oracle solve</call>", "write <call>Model@@Skill: input</call>"),
    ("please solve it", "Write <call>Model@@Skill: input</call> or <answer>"),
])
def test_format_errors_are_explained_and_penalised(action, why):
    env = MaestroEnv(registry=parse_entries(SURE), format_penalty=0.25)
    env.reset(seed=1)
    obs, reward, terminated, truncated, info = env.step(action)
    assert why in obs and info["action_valid"] is False and reward == -0.25 and not (terminated or truncated)
    assert info["calls"] == 0


def test_the_call_budget_and_the_cut_off():
    env = MaestroEnv(registry=parse_entries(SURE), max_calls=2)
    env.reset(seed=2)
    for _ in range(2):
        env.step("<call>Oracle@@guess: x</call>")
    obs, _, _, _, info = env.step("<call>Oracle@@guess: x</call>")
    assert "all 2 calls are used" in obs and info["action_valid"] is False
    assert not any(a.startswith("<call>") for a in info["admissible_actions"])
    truncated = False
    for _ in range(3):  # 6 = 2 * (max_calls + 1) steps in all
        _, _, _, truncated, _ = env.step("nonsense")
    assert truncated


def test_same_expert_same_reply_within_an_episode():
    env = envs.make("agora/Maestro-v0")
    env.reset(seed=4)
    first = env.step("<call>Scout-1B@@lookup: a</call>")[0].split("\n")[0]
    again = env.step("<call>Scout-1B@@lookup: b</call>")[0].split("\n")[0]
    assert first == again


def test_registry_files_are_validated(tmp_path):
    assert len(load_registry()) == len(yaml.safe_load(DEFAULT_REGISTRY.read_text())["experts"])
    bad = [({"experts": []}, "non-empty list"),
           ({"experts": [{"model": "A B", "skill": "s", "cost": 1}]}, "model must be a name"),
           ({"experts": [{"model": "A", "skill": "s", "cost": -1}]}, "cost must be a number"),
           ({"experts": [{"model": "A", "skill": "s", "cost": 1, "accuracy": {"chess": 0.5}}]}, "accuracies must map"),
           ({"experts": [{"model": "A", "skill": "s", "cost": 1, "colour": "red"}]}, "unknown fields"),
           ({"experts": [{"model": "A", "skill": "s", "cost": 1}] * 2}, "more than once")]
    for data, why in bad:
        path = tmp_path / "experts.yaml"
        path.write_text(yaml.safe_dump(data))
        with pytest.raises(ValueError, match=why):
            load_registry(path)
    with pytest.raises(ValueError, match="does not exist"):
        load_registry(tmp_path / "missing.yaml")
    path.write_text(yaml.safe_dump(SURE))
    env = envs.make("agora/Maestro-v0", registry=str(path))  # a user's file, by path
    assert [e.name for e in env.unwrapped.entries] == ["Oracle@@solve", "Oracle@@guess"]
