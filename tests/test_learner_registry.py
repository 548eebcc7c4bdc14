"""The estimator and loss registries: lookup, entry-point plugins, settings metadata, trainer dispatch."""

import textwrap

import numpy as np
import pytest
import torch

from training.advantages import ESTIMATORS, drmas_advantages, gigpo_advantages, grpo_advantages, hgpo_advantages
from training.config import TrainConfig, config_from_dict
from training.losses import LOSSES, LossBatch, LossTerms, aggregate, entropy_bonus, kl_loss, ppo_clip_loss
from training.records import StepRecord
from training.registry import EstimatorSpec, LossSpec, Registry
from training.trainer import compute_advantages


def config(*overrides):
    """A config from the code defaults (the main job's file sets estimator-specific keys)."""
    return config_from_dict({}, overrides)


def constant(rows, value=1.0):
    return np.full(len(rows), value)


# --- lookup and registration -------------------------------------------------------------------


def test_unknown_name_names_the_closest_and_lists_the_registered():
    with pytest.raises(ValueError, match=r"unknown estimator 'gipgo' \(did you mean 'gigpo'\?\); registered: drmas, gigpo, grpo, hgpo"):
        ESTIMATORS.get("gipgo")
    with pytest.raises(ValueError, match=r"unknown loss 'ppo' \(did you mean 'ppo_clip'\?\); registered: ppo_clip"):
        LOSSES.get("ppo")
    with pytest.raises(ValueError, match="unknown estimator 'zzz'; registered: drmas"):
        ESTIMATORS.get("zzz")


def test_registration_is_checked():
    registry = Registry("estimator", "agora.test-none", EstimatorSpec)
    registry.register(EstimatorSpec("const", constant, {"algorithm.omega": "value"}))
    with pytest.raises(ValueError, match="'const' is already registered"):
        registry.register(EstimatorSpec("const", constant))
    with pytest.raises(TypeError, match="expected EstimatorSpec, got LossSpec"):
        registry.register(LossSpec("loss", constant))
    with pytest.raises(ValueError, match=r"const: constant has no keyword \['gamma'\]"):
        EstimatorSpec("const", constant, {"algorithm.gamma": "gamma"})
    with pytest.raises(TypeError, match="fn must be callable"):
        EstimatorSpec("const", "not a function")
    with pytest.raises(ValueError, match="non-empty str"):
        EstimatorSpec(" const", constant)


def test_call_passes_the_declared_settings_by_keyword():
    spec = EstimatorSpec("const", constant, {"algorithm.omega": "value"})
    np.testing.assert_array_equal(spec.call(config("algorithm.omega=2.5"), [0, 0]), [2.5, 2.5])
    assert spec.uses == {"algorithm.omega"}
    with pytest.raises(ValueError, match="reads the setting 'algorithm.nope', which the config does not have"):
        EstimatorSpec("bad", constant, {"algorithm.nope": "value"}).call(config(), [0])


# --- plugins through entry points ----------------------------------------------------------------


def write_plugin(folder, module_source: str, entry_points: dict[str, str], group="agora.estimators"):
    """A package on sys.path with a dist-info: what `pip install` leaves, so importlib.metadata finds it."""
    (folder / "fake_learners.py").write_text(textwrap.dedent(module_source))
    info = folder / "fake_learners-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fake-learners\nVersion: 0.1\n")
    lines = "".join(f"{name} = {value}\n" for name, value in entry_points.items())
    (info / "entry_points.txt").write_text(f"[{group}]\n{lines}")


PLUGIN_SOURCE = """
    import numpy as np
    from training.registry import EstimatorSpec, LossSpec

    def ones(rows):
        return np.ones(len(rows))

    GOOD = EstimatorSpec("ones", ones, doc="every row 1")
    MISNAMED = EstimatorSpec("twos", ones)
    NOT_A_SPEC = ones
    A_LOSS = LossSpec("lossy", ones)
"""


def test_plugins_register_and_broken_ones_warn_by_name(tmp_path, monkeypatch):
    write_plugin(tmp_path, PLUGIN_SOURCE, {
        "ones": "fake_learners:GOOD", "missing": "fake_learners_gone:SPEC", "twos-alias": "fake_learners:MISNAMED",
        "plain": "fake_learners:NOT_A_SPEC", "lossy": "fake_learners:A_LOSS",
    })
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = Registry("estimator", "agora.estimators", EstimatorSpec)
    with pytest.warns(UserWarning) as caught:
        assert "ones" in registry.names()
    messages = "\n".join(str(w.message) for w in caught)
    assert "estimator plugin 'missing' (fake_learners_gone:SPEC) failed to load: No module named 'fake_learners_gone'" in messages
    assert "plugin 'twos-alias' (fake_learners:MISNAMED) failed to load: the entry point is named 'twos-alias' but its estimator 'twos'" in messages
    assert "plugin 'plain' (fake_learners:NOT_A_SPEC) failed to load: it names 'function', expected EstimatorSpec" in messages
    assert "plugin 'lossy' (fake_learners:A_LOSS) failed to load: it names 'LossSpec'" in messages
    np.testing.assert_array_equal(registry.get("ones").call(None, [0, 0, 0]), [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"estimator 'missing' comes from a plugin that failed to load \(fake_learners_gone:SPEC: No module"):
        registry.get("missing")
    assert registry.names() == ["ones"]  # loaded once: no second round of warnings
    assert (ESTIMATORS.entry_point_group, LOSSES.entry_point_group) == ("agora.estimators", "agora.losses")


# --- which settings each part reads ------------------------------------------------------------


def test_declared_settings_exist_in_the_config():
    config = TrainConfig()
    for registry in (ESTIMATORS, LOSSES):
        for name in registry.names():
            for key in registry.get(name).uses:
                node = config
                for part in key.split("."):
                    assert hasattr(node, part), f"{name} reads {key}, which TrainConfig lacks"
                    node = getattr(node, part)


@pytest.mark.parametrize("estimator, key, readers", [
    ("grpo", "algorithm.gamma", ["gigpo", "hgpo"]), ("grpo", "algorithm.invalid_penalty", ["drmas", "gigpo", "hgpo"]),
    ("grpo", "algorithm.omega", ["gigpo"]), ("hgpo", "algorithm.group_stats", ["gigpo", "grpo"]),
    ("hgpo", "algorithm.omega", ["gigpo"]), ("drmas", "algorithm.group_stats", ["gigpo", "grpo"]),
    ("drmas", "algorithm.gamma", ["gigpo", "hgpo"]), ("gigpo", "algorithm.hgpo_alpha", ["hgpo"]),
    ("gigpo", "algorithm.hgpo_base_group", ["hgpo"]),
])
def test_a_setting_another_estimator_reads_does_not_apply(estimator, key, readers):
    assert ESTIMATORS.unused_settings(estimator)[key] == readers


def test_settings_each_estimator_reads_are_not_unused():
    assert list(ESTIMATORS.unused_settings("gigpo")) == ["algorithm.hgpo_alpha", "algorithm.hgpo_base_group"]
    assert list(ESTIMATORS.unused_settings("hgpo")) == ["algorithm.group_stats", "algorithm.omega"]
    assert list(ESTIMATORS.unused_settings("grpo")) == [
        "algorithm.gamma", "algorithm.hgpo_alpha", "algorithm.hgpo_base_group", "algorithm.invalid_penalty", "algorithm.omega"]
    # rollout.memory_k (read by hgpo only) serves the prompt of every run: never unused
    assert "rollout.memory_k" not in ESTIMATORS.unused_settings("grpo")
    assert LOSSES.unused_settings("ppo_clip") == {}


def test_a_loss_setting_does_not_apply_to_a_loss_that_does_not_read_it(monkeypatch):
    monkeypatch.setitem(LOSSES._specs, "plain_pg", LossSpec("plain_pg", reinforce_loss))
    unused = LOSSES.unused_settings("plain_pg")
    assert list(unused) == ["algorithm.clip", "algorithm.clip_high", "algorithm.dual_clip", "algorithm.entropy_coef",
                            "algorithm.kl_coef", "algorithm.kl_type", "algorithm.loss_agg"]
    assert set(map(tuple, unused.values())) == {("ppo_clip",)}


# --- the trainer looks both up ------------------------------------------------------------------


def step(episode, group, turn, obs, reward, valid=True, agent="a"):
    return StepRecord(episode_id=episode, group_id=group, agent_id=agent, turn=turn, obs=obs, prompt_ids=[1],
                      response_ids=[2], logprobs=[-0.5], reward=reward, done=False, action_valid=valid, env="test")


RECORDS = [
    step("A", "g", 0, "s", 0.0), step("A", "g", 1, "t", 0.0, valid=False), step("A", "g", 2, "s", 1.0),
    step("B", "g", 0, "s", 0.0), step("B", "g", 1, "t", 0.5),
    step("C", "g", 0, "s", 0.0, agent="b"), step("C", "g", 1, "u", 0.0, agent="b"),
    step("D", "g", 0, "s", 1.0, agent="b"),
]
NORM_STEP = ["algorithm.norm_mode=mean_norm", "algorithm.group_stats=step"]
RETURNS = ["algorithm.gamma=0.8", "algorithm.invalid_penalty=0.3"]


@pytest.mark.parametrize("name, overrides, direct", [
    ("grpo", NORM_STEP, lambda r: grpo_advantages(r, mode="mean_norm", stats="step")),
    ("gigpo", [*NORM_STEP, *RETURNS, "algorithm.omega=0.5"],
     lambda r: gigpo_advantages(r, gamma=0.8, omega=0.5, mode="mean_norm", stats="step", invalid_penalty=0.3)),
    ("hgpo", ["algorithm.norm_mode=mean_norm", *RETURNS, "algorithm.hgpo_alpha=2.0", "algorithm.hgpo_base_group=true",
              "rollout.memory_k=1"],
     lambda r: hgpo_advantages(r, memory_window=1, gamma=0.8, alpha=2.0, mode="mean_norm", base_group=True,
                               invalid_penalty=0.3)),
    ("drmas", ["algorithm.norm_mode=mean_norm", "algorithm.invalid_penalty=0.3"],
     lambda r: drmas_advantages(r, mode="mean_norm", invalid_penalty=0.3)),
])
def test_compute_advantages_passes_each_estimator_its_settings(name, overrides, direct):
    assert not set(ESTIMATORS.unused_settings(name)) & {o.split("=")[0] for o in overrides}
    got = compute_advantages(RECORDS, config(f"algorithm.estimator={name}", *overrides))
    np.testing.assert_array_equal(got, direct(RECORDS))
    assert not np.array_equal(got, compute_advantages(RECORDS, config(f"algorithm.estimator={name}")))


def loss_batch(with_reference=True):
    gen = torch.Generator().manual_seed(0)
    logprobs = (-torch.rand(3, 4, generator=gen)).requires_grad_()
    mask = torch.tensor([[1.0, 1, 1, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
    return LossBatch(logprobs, logprobs.detach() + 0.3 * torch.randn(3, 4, generator=gen), torch.tensor([1.0, -2.0, 0.5]),
                     mask, torch.rand(3, 4, generator=gen), -torch.rand(3, 4, generator=gen) if with_reference else None)


def test_ppo_clip_through_the_registry_is_clip_plus_kl_plus_entropy():
    settings = config("algorithm.clip=0.1", "algorithm.clip_high=0.3", "algorithm.dual_clip=2.0",
                      "algorithm.loss_agg=seq-mean-token-mean", "algorithm.kl_coef=0.05", "algorithm.kl_type=k3",
                      "algorithm.entropy_coef=0.01")
    batch = loss_batch()
    terms = LOSSES.get("ppo_clip").call(settings, batch)
    pl = ppo_clip_loss(batch.logprobs, batch.old_logprobs, batch.advantages, batch.mask, 0.1, 0.3, 2.0, "seq-mean-token-mean")
    expected = (pl.loss + kl_loss(batch.logprobs, batch.ref_logprobs, batch.mask, 0.05, "k3", "seq-mean-token-mean")
                + entropy_bonus(batch.entropy, batch.mask, 0.01, "seq-mean-token-mean"))
    assert torch.equal(terms.loss, expected) and torch.equal(terms.policy_loss, pl.loss.detach())
    assert torch.equal(terms.clip_fraction, pl.clip_fraction) and float(terms.ref_kl) > 0
    (grad,) = torch.autograd.grad(terms.loss, batch.logprobs)
    (expected_grad,) = torch.autograd.grad(expected, batch.logprobs)
    assert torch.equal(grad, expected_grad)
    # no reference (kl_coef 0): no KL term, ref_kl logged as 0
    no_ref = LOSSES.get("ppo_clip").call(config(), loss_batch(with_reference=False))
    assert float(no_ref.ref_kl) == 0.0


CALLS = []


def reinforce_loss(batch: LossBatch) -> LossTerms:
    """Plain policy gradient: -A log p, no ratio, no clipping (a loss a plugin could add)."""
    CALLS.append(batch.logprobs.shape)
    loss = aggregate(-batch.advantages.unsqueeze(-1) * batch.logprobs, batch.mask)
    return LossTerms(loss, loss.detach(), aggregate(batch.old_logprobs - batch.logprobs.detach(), batch.mask))


def test_the_trainer_optimises_the_loss_named_in_the_config(tmp_path, monkeypatch):
    from training.agent_factory import build_trainable
    from training.trainer import Trainer

    monkeypatch.setitem(LOSSES._specs, "plain_pg", LossSpec("plain_pg", reinforce_loss))
    settings = config("env=agora/LostSalesText-v0", "env_kwargs.periods=4", "rollout.tasks_per_batch=2",
                      "rollout.group_size=2", "algorithm.loss=plain_pg", "log.tensorboard=false",
                      "log.progress_bar=false", f"train.output_dir={tmp_path}")
    agent = build_trainable(settings)
    before = {k: v.clone() for k, v in agent.state_dict()["tensors"].items()}
    trainer = Trainer(settings, agent)
    records = trainer.collect(0)
    CALLS.clear()
    stats = trainer.optimize(records, compute_advantages(records, settings), 0)
    assert CALLS and sum(shape[0] for shape in CALLS) == len(records)
    assert stats.clip_fraction == 0.0 and stats.loss == stats.policy_loss
    assert any(not agent.state_dict()["tensors"][k].equal(before[k]) for k in before)
