"""The LLM path: the embedded SmolLM2 (agents.backends.hf) as HILA's expert and as a Maestro
registry entry. The replies are graded like any other; nothing here may raise."""

import pytest
import yaml

pytest.importorskip("transformers")

from agents.backends.hf import HFBackend  # noqa: E402
from envs.hila.env import HilaEnv  # noqa: E402
from envs.hila.solvers import PolicySolver  # noqa: E402
from envs.maestro.env import MaestroEnv  # noqa: E402


@pytest.fixture(scope="module")
def smollm2():
    return HFBackend("default", device="cpu")


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


# --- `agora train` on the LLM path: one update of each, LoRA on SmolLM2 (kept to a few decisions) ---
def _metrics(run):
    import json

    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def _adapter_moved(run):
    from safetensors.torch import load_file

    from training import checkpoint

    tensors = load_file(checkpoint.find(run) / "model.safetensors")
    return any("lora_B" in name and t.abs().max() > 0 for name, t in tensors.items())  # B starts at 0


def test_agora_train_hila_with_smollm2_runs_an_update_and_fine_tunes_the_solver_on_deferrals(tmp_path):
    """Round 0: one inner update, then the deployment's answered deferrals fine-tune the same adapter
    (the solver) and its loss on them falls; round 1: another update."""
    from training.cli import main

    run = tmp_path / "run"
    assert main(["train", "--config", "hila_smollm2_lora_cpu", f"train.output_dir={run}", "rollout.tasks_per_batch=1",
                 "train.eval_episodes=1", "hila.deploy_episodes=2", "hila.answer_tokens=8",
                 "env_kwargs.task_types=[math-d1]", "log.progress_bar=false"]) == 0
    first, last = _metrics(run)
    assert first["loss/states"] == last["loss/states"] == 2  # 1 game x 2 agents x 1 round
    assert first["loss/learning_states"] > 0 and first["hila/examples"] > 0
    assert first["hila/sft_loss_after"] < first["hila/sft_loss_before"]
    assert {"round/math-d1/defer_rate", "eval/deferrals", "eval/cost"} <= set(last)
    assert _adapter_moved(run)


def test_agora_train_maestro_with_smollm2_runs_an_update(tmp_path):
    from training.cli import main

    run = tmp_path / "run"
    assert main(["train", "--config", "maestro_smollm2_lora_cpu", f"train.output_dir={run}", "train.updates=1",
                 "rollout.tasks_per_batch=1", "rollout.max_turns=2", "train.eval_episodes=1", "env_kwargs.max_calls=1",
                 "algorithm.recompute_old_logprobs=false", "log.progress_bar=false"]) == 0
    (row,) = _metrics(run)
    assert row["update"] == 1 and {"eval/calls", "eval/cost"} <= set(row)
    assert row["loss/entropy"] > 0  # the candidate head scored the batch with gradients
    # The group's two copies may tie (no advantage, no gradient); otherwise the adapter moved.
    assert _adapter_moved(run) == (row["adv/abs_max"] > 0)
