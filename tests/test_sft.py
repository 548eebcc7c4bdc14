"""`agora sft` on the embedded SmolLM2-135M-Instruct (CPU, a few short steps): its data holds the
prompt ids the RL rollout of the same state holds, only response tokens are trained, it lowers the
loss, and `agora eval` and `agora train --init-from` accept what it writes; bad arguments are
refused before any work."""

from __future__ import annotations

import json

import numpy as np
import pytest

import envs
from agents.agent import Agent
from agents.backends.base import Generation, SamplingConfig
from tests.toy_envs import CountdownEnv
from training.cli import main
from training.records import read_jsonl
from training.rollout import RolloutConfig, rollout
from training.tasks import training_tasks

pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

envs.register("TestSFTCountdown-v0", CountdownEnv, family="test")
COUNTDOWN = "agora/TestSFTCountdown-v0"
# A short recipe on the toy env: short prompts and replies keep the CPU time small.
TOY = ["env=agora/TestSFTCountdown-v0", "policy.lora.dropout=0.0", "rollout.memory_k=1", "rollout.max_turns=5",
       "rollout.max_tokens=16"]


@pytest.fixture(scope="module")
def agent():
    from training.agent_factory import build_trainable
    from training.config import load_config

    torch.set_num_threads(min(2, torch.get_num_threads()))
    agent = build_trainable(load_config("smollm2_lora_cpu", ["policy.lora.dropout=0.0"]))
    yield agent
    agent.close()


class ReplayThenAct(Agent):
    """Replays recorded actions, except at turn ``at``, where ``policy`` acts as in an RL rollout."""

    def __init__(self, policy, actions: list[str], at: int):
        self.policy, self.actions, self.at = policy, actions, at

    def act(self, decisions, sampling: SamplingConfig | None = None) -> list[Generation]:
        out = []
        for d in decisions:
            if d.turn == self.at:
                out.append(self.policy.act([d], sampling)[0])
            else:
                action = self.actions[d.turn] if d.turn < len(self.actions) else "look"
                out.append(Generation(action, None, None, None, "stop"))
        return out


@pytest.mark.parametrize("head", ["generate", "score_candidates"])
def test_sft_data_and_rl_rollout_of_one_state_have_the_same_prompt_ids(agent, head, monkeypatch):
    from training.config import load_config
    from training.sft import collect_demonstrations

    monkeypatch.setattr(agent, "action_head", head)
    config = load_config("smollm2_lora_cpu", ["policy.lora.dropout=0.0", f"policy.action_head={head}"])
    demos = collect_demonstrations(agent, config, episodes=1, seed=0)
    assert demos and all(r.env == config.env for r in demos)
    actions = [r.action for r in demos]
    at = min(2, len(demos) - 1)  # a state with the memory window filled by earlier expert steps
    assert at >= 1
    task = training_tasks(config.env, "train", 1, np.random.default_rng(0))  # the task the demonstration played
    play = RolloutConfig(memory_k=config.rollout.memory_k, max_turns=config.rollout.max_turns,
                         sampling=SamplingConfig(temperature=0.0, max_tokens=2))
    rl = [r for r in rollout(config.env, ReplayThenAct(agent, actions, at), task, play, env_kwargs=config.env_kwargs)
          if r.turn == at]
    assert len(rl) == 1
    assert rl[0].obs == demos[at].obs
    assert rl[0].prompt_ids == demos[at].prompt_ids  # literal equality of the id lists
    shown = agent.tokenizer.decode(demos[at].prompt_ids)
    assert f"Your action: {actions[at - 1]}" in shown and f"Your action: {actions[at]}" not in shown
    if head == "score_candidates":
        assert rl[0].info["candidate_ids"] == demos[at].info["candidate_ids"]
        assert demos[at].response_ids == demos[at].info["candidate_ids"][demos[at].info["choice"]]
    else:
        reply = agent.tokenizer.decode(demos[at].response_ids, skip_special_tokens=True)
        assert reply == f"<think>I will {actions[at]}.</think>\n<action>{actions[at]}</action>"


def test_only_response_tokens_carry_labels_and_the_loss(agent):
    from agents.backends.hf import response_logprobs
    from training.sft import IGNORE, sft_example, token_nll

    assert sft_example([5, 6, 7], [8, 9]) == ([5, 6, 7, 8, 9], [IGNORE, IGNORE, IGNORE, 8, 9])
    tok = agent.tokenizer
    prompt = tok("The user asks for a number. Answer:", add_special_tokens=False).input_ids
    response = tok(" <action>42</action>", add_special_tokens=False).input_ids + [agent.end_id]
    with torch.no_grad():
        nll, count = token_nll(agent.model, *sft_example(prompt, response))
        logprobs, mask = response_logprobs(agent.model, [prompt], [response], pad_token_id=agent.pad_id)
        # Labelling the prompt too would add its tokens' NLL: a different, larger number.
        ids = torch.tensor([prompt + response])
        everything = float(torch.nn.functional.cross_entropy(agent.model(input_ids=ids).logits[0, :-1], ids[0, 1:], reduction="sum"))
    assert count == len(response)
    assert float(nll) == pytest.approx(-float(logprobs[mask].sum()), rel=1e-4)
    assert everything > float(nll) + 1.0


@pytest.mark.slow  # SFT, two model loads and an episode of generation: ~1 min on a quiet 2-core machine
def test_sft_lowers_the_loss_and_its_run_folder_loads_in_eval_and_train(tmp_path, agent):
    from training.agent_factory import load_trained
    from training.sft import mean_nll

    out, demos = tmp_path / "sft", tmp_path / "demos.jsonl"
    assert main(["sft", "--config", "smollm2_lora_cpu", "--episodes", "1", "--epochs", "2", "--batch-size", "1",
                 "--lr", "3e-3", "--demos", str(demos), "--out", str(out), *TOY]) == 0
    records = read_jsonl(demos)
    assert {r.env for r in records} == {COUNTDOWN} and all(r.info["won"] for r in records if r.done)
    stats = json.loads((out / "sft.json").read_text())
    assert stats["steps"] == len(records) and len(stats["epoch_losses"]) == 2
    before = mean_nll(agent, records)  # the fixture: the same LoRA setup, untrained
    trained = load_trained(out)
    try:
        after = mean_nll(trained, records)
    finally:
        trained.close()
    assert after < 0.7 * before
    assert main(["eval", "--env", COUNTDOWN, "--policy", "hf", "--model", str(out), "--episodes", "1",
                 "--out", str(tmp_path / "eval")]) == 0
    summary = json.loads((tmp_path / "eval" / "summary.json").read_text())
    assert summary[0]["model"] == str(out) and summary[0]["episodes"] == 1
    # A second call with the cache and the same out: refused without --overwrite, the run kept.
    assert main(["sft", "--config", "smollm2_lora_cpu", "--demos", str(demos), "--out", str(out), *TOY]) == 2
    assert (out / "sft.json").is_file()
    # RL cannot resume an SFT folder, and starts from one only with a fitting policy.
    assert main(["train", "--config", "smollm2_lora_cpu", "--resume", str(out)]) == 2
    assert main(["train", "--config", "smollm2_lora_cpu", "--init-from", str(out), "policy.lora.r=4", *TOY[:1],
                 f"train.output_dir={tmp_path / 'rl'}"]) == 2
    assert not (tmp_path / "rl").exists()


def test_init_from_starts_rl_from_the_sft_weights(tmp_path, monkeypatch):
    """A tiny-setup SFT folder written by hand: `agora train --init-from` loads exactly its tensors
    before the first update (the KL reference included)."""
    from training import checkpoint, commands
    from training.trainer import Trainer

    seen = {}

    def stop_before_training(self):
        seen["agent"] = {k: v.clone() for k, v in self.agent.state_dict()["tensors"].items()}
        seen["reference"] = self.reference.state_dict()["tensors"] if self.reference is not None else None
        return []

    from training.agent_factory import build_trainable
    from training.config import dump_config, load_config

    source = tmp_path / "sft"
    config = load_config("smollm2_lora_cpu", ["policy.lora.dropout=0.0", f"train.output_dir={source}"])
    donor = build_trainable(config)
    with torch.no_grad():
        for name, p in donor.model.named_parameters():
            if "lora_B" in name:
                p.fill_(0.01)
    source.mkdir()
    (source / "config.yaml").write_text(dump_config(config))
    checkpoint.save(source, 0, donor.state_dict(), {}, None, [])
    saved = donor.state_dict()["tensors"]
    donor.close()
    monkeypatch.setattr(Trainer, "run", stop_before_training)
    assert commands.train_command("smollm2_lora_cpu", ["policy.lora.dropout=0.0", "algorithm.kl_coef=0.1",
                                                       f"train.output_dir={tmp_path / 'rl'}"], None,
                                  init_from=str(source)) == 0
    assert set(seen["agent"]) == set(saved)
    assert all(torch.equal(seen["agent"][k], saved[k]) for k in saved)
    assert all(torch.equal(seen["reference"][k], saved[k]) for k in saved)
    assert load_config(tmp_path / "rl" / "config.yaml").train.init_from == str(source)


@pytest.mark.parametrize("args, message", [
    (["--config", "household_tiny"], "fine-tunes LLM policies"),
    (["--config", "smollm2_lora_cpu", "--epochs", "0"], "--epochs must be >= 1"),
    (["--config", "smollm2_lora_cpu", "--lr", "nan"], "--lr must be a number > 0"),
    (["--config", "smollm2_lora_cpu", "--demos", "/no/such/folder/demos.jsonl"], "does not exist"),
    (["--config", "smollm2_lora_cpu", "env=agora/NoSuchEnv-v0"], "NoSuchEnv"),
])
def test_bad_sft_arguments_are_refused_before_any_work(tmp_path, capsys, args, message):
    assert main(["sft", *args, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_demonstration_cache_rendered_otherwise_is_refused(tmp_path, capsys):
    from training.config import load_config
    from training.records import StepRecord, write_jsonl
    from training.sft import rendering

    other = rendering(load_config("smollm2_lora_cpu", ["rollout.memory_k=1"]))
    row = StepRecord(episode_id="sft.0.0", group_id="g", agent_id="agent", turn=0, obs="o", prompt_ids=[1],
                     response_ids=[2], logprobs=[], reward=0.0, done=True, action_valid=True, env="agora/Household-v0",
                     info={"won": True, "rendering": other})
    write_jsonl(tmp_path / "demos.jsonl", [row])
    assert main(["sft", "--config", "smollm2_lora_cpu", "--demos", str(tmp_path / "demos.jsonl"),
                 "--out", str(tmp_path / "out")]) == 2
    assert "'memory_k': 1" in capsys.readouterr().err
    assert main(["train", "--init-from", str(tmp_path / "nothing"), "--resume", str(tmp_path)]) == 2
