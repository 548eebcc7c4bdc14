import pytest

from training.config import ConfigError, TrainConfig, config_from_dict, dump_config, load_config


def test_default_config_loads_and_round_trips():
    config = load_config()
    assert config.policy.backend == "tiny" and config.env == "agora/Household-v0"
    again = config_from_dict(__import__("yaml").safe_load(dump_config(config)))
    assert again == config


@pytest.mark.parametrize(
    "override, message",
    [
        ("rollout.grup_size=4", "unknown config key 'rollout.grup_size'; did you mean 'rollout.group_size'?"),
        ("algoritm.clip=0.3", "unknown config key 'algoritm'; did you mean 'algorithm'?"),
        ("algorithm.epo.kapa_high=3", "did you mean 'algorithm.epo.kappa_high'?"),
        ("train.zzz=1", "unknown config key 'train.zzz'; valid keys here:"),
    ],
)
def test_misspelled_keys_name_the_closest_valid_one(override, message):
    with pytest.raises(ConfigError) as err:
        load_config(None, [override])
    assert message in str(err.value)


def test_overrides_are_parsed_as_yaml():
    config = load_config(None, ["rollout.group_size=4", "algorithm.estimator=hgpo", "optim.betas=[0.8, 0.9]", "algorithm.epo.enabled=true"])
    assert config.rollout.group_size == 4
    assert config.algorithm.estimator == "hgpo"
    assert config.optim.betas == (0.8, 0.9)
    assert config.algorithm.epo.enabled is True


@pytest.mark.parametrize(
    "override, where",
    [
        ("rollout.group_size=0", "rollout.group_size"),
        ("algorithm.estimator=ppo", "algorithm.estimator"),
        ("optim.lr=-1", "optim.lr"),
        ("algorithm.dual_clip=0.5", "algorithm.dual_clip"),
    ],
)
def test_bad_values_are_errors_that_say_where(override, where):
    with pytest.raises(ConfigError, match=where):
        load_config(None, [override])


def test_malformed_overrides_and_files(tmp_path):
    with pytest.raises(ConfigError, match="key=value"):
        load_config(None, ["rollout.group_size"])
    with pytest.raises(ConfigError, match="is a value, not a section"):
        load_config(None, ["rollout.group_size.x=1"])
    with pytest.raises(ConfigError, match="not found; packaged configs: .*household_tiny"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(bad)


def test_packaged_configs_validate():
    from training.config import CONFIG_DIR

    for path in CONFIG_DIR.glob("*.yaml"):
        assert isinstance(load_config(path), TrainConfig), path


def test_another_env_on_the_command_line_drops_the_files_env_kwargs():
    default = load_config()
    assert default.env_kwargs  # the main job shapes household rewards
    other = load_config(None, ["env=agora/LostSalesText-v0", "env_kwargs.periods=8"])
    assert other.env_kwargs == {"periods": 8}
    same = load_config(None, [f"env={default.env}", "env_kwargs.difficulty=easy"])
    assert same.env_kwargs == {**default.env_kwargs, "difficulty": "easy"}


# --- settings that do not apply -------------------------------------------------------------
@pytest.mark.parametrize(
    "overrides, key, because",
    [
        (["algorithm.estimator=grpo", "algorithm.gamma=0.9"], "algorithm.gamma", "algorithm.estimator='grpo'"),
        (["algorithm.estimator=grpo", "algorithm.omega=2"], "algorithm.omega", "algorithm.estimator='grpo'"),
        (["algorithm.estimator=grpo", "algorithm.invalid_penalty=0.2"], "algorithm.invalid_penalty", "'grpo'"),
        (["algorithm.estimator=hgpo", "algorithm.group_stats=step"], "algorithm.group_stats", "'hgpo'"),
        (["algorithm.estimator=drmas", "algorithm.group_stats=step"], "algorithm.group_stats", "'drmas'"),
        (["algorithm.estimator=drmas", "algorithm.gamma=0.5"], "algorithm.gamma", "'drmas'"),
        (["algorithm.estimator=gigpo", "algorithm.hgpo_alpha=2"], "algorithm.hgpo_alpha", "'gigpo'"),
        (["algorithm.estimator=gigpo", "algorithm.hgpo_base_group=true"], "algorithm.hgpo_base_group", "'gigpo'"),
        (["policy.lora.r=8"], "policy.lora", "policy.backend='tiny'"),
        (["policy.model=/some/checkpoint"], "policy.model", "policy.backend='tiny'"),
        (["policy.require_think=false"], "policy.require_think", "policy.backend='tiny'"),
        (["rollout.max_tokens=64"], "rollout.max_tokens", "policy.backend='tiny'"),
        (["train.bf16=true"], "train.bf16", "policy.backend='tiny'"),
        (["train.device=cuda"], "train.device", "policy.backend='tiny'"),
        (["train.gradient_checkpointing=true"], "train.gradient_checkpointing", "policy.backend='tiny'"),
        (["policy.backend=hf", "policy.tiny.dim=32"], "policy.tiny", "policy.backend='hf'"),
        (["policy.backend=vllm", "policy.tiny.novelty_prior=1"], "policy.tiny", "policy.backend='vllm'"),
        (["algorithm.kl_type=k3"], "algorithm.kl_type", "algorithm.kl_coef=0.0"),
        (["algorithm.epo.decay=2"], "algorithm.epo.decay", "algorithm.epo.enabled=False"),
        (["log.wandb_project=mine"], "log.wandb_project", "log.wandb=False"),
    ],
)
def test_a_setting_that_does_not_apply_is_an_error_naming_it(overrides, key, because):
    with pytest.raises(ConfigError) as err:
        load_config(None, overrides)
    assert f"'{key}' does not apply with" in str(err.value) and because in str(err.value)


def test_every_inapplicable_setting_of_a_file_is_named_at_once(tmp_path):
    file = tmp_path / "mixed.yaml"
    file.write_text("algorithm:\n  estimator: grpo\n  gamma: 0.9\n  omega: 2.0\npolicy:\n  lora: {r: 4}\n")
    with pytest.raises(ConfigError) as err:
        load_config(file)
    for key in ("algorithm.gamma", "algorithm.omega", "policy.lora"):
        assert f"'{key}'" in str(err.value)


def test_the_same_settings_where_they_apply_are_accepted():
    assert load_config(None, ["algorithm.estimator=gigpo", "algorithm.gamma=0.9", "algorithm.group_stats=step"])
    assert load_config(None, ["algorithm.kl_coef=0.01", "algorithm.kl_type=k3"]).algorithm.kl_type == "k3"
    assert load_config(None, ["algorithm.epo.enabled=true", "algorithm.epo.decay=2"]).algorithm.epo.decay == 2
    assert load_config(None, ["policy.tiny.dim=32"]).policy.tiny.dim == 32
    assert load_config("smollm2_lora_cpu", ["rollout.max_tokens=64"]).rollout.max_tokens == 64
    # Defaults never count: the default gamma or group_stats is no setting of the user's.
    assert load_config(None, ["algorithm.estimator=grpo"]).algorithm.estimator == "grpo"


def test_a_file_written_for_another_setup_only_warns_once(capsys):
    from training import config as config_module

    config_module._warned.clear()
    # The GiGPO recipe's file sets gamma and invalid_penalty; GRPO chosen on the command line ignores them.
    config = load_config("qwen2.5_1.5b_vllm_gpu", ["algorithm.estimator=grpo"])
    assert config.algorithm.estimator == "grpo"
    err = capsys.readouterr().err
    assert "'algorithm.gamma' does not apply with algorithm.estimator='grpo'" in err
    assert "'algorithm.invalid_penalty'" in err and err.count("warning") == 2
    load_config("qwen2.5_1.5b_vllm_gpu", ["algorithm.estimator=grpo"])
    assert capsys.readouterr().err == ""  # once
    # The same setting given on the command line too is the user's own: an error.
    with pytest.raises(ConfigError, match="'algorithm.gamma' does not apply"):
        load_config("qwen2.5_1.5b_vllm_gpu", ["algorithm.estimator=grpo", "algorithm.gamma=0.9"])


def test_a_saved_run_config_reads_back_without_tripping_the_check(tmp_path):
    """A run's config.yaml spells out every setting that applies, and only those."""
    import yaml

    from training.config import inapplicable_settings

    config = load_config("qwen2.5_1.5b_vllm_gpu", ["algorithm.estimator=grpo"])
    saved = yaml.safe_load(dump_config(config))
    assert "gamma" not in saved["algorithm"] and "tiny" not in saved["policy"] and "norm_mode" in saved["algorithm"]
    again = config_from_dict(saved)
    assert inapplicable_settings(again) == [] and again.rollout == config.rollout


def test_renamed_tiny_keys_say_their_new_name():
    with pytest.raises(ConfigError, match="'policy.tiny.embed_dim' was renamed to 'policy.tiny.dim'"):
        load_config(None, ["policy.tiny.embed_dim=32"])


# --- one documented config ----------------------------------------------------------------
def test_every_key_has_a_type_a_default_and_a_doc():
    from training.config_help import config_keys

    rows = list(config_keys())
    keys = [key for key, *_ in rows]
    assert {"algorithm.gamma", "policy.tiny.dim", "policy.lora.r", "algorithm.epo.kappa_high", "train.max_minutes"} <= set(keys)
    assert all(doc for *_, doc in rows), [key for key, *_, doc in rows if not doc]
    assert dict((key, kind) for key, kind, *_ in rows)["algorithm.norm_mode"] == "mean_std_norm | mean_norm"
    assert dict((key, kind) for key, kind, *_ in rows)["algorithm.estimator"] == "str"  # any registered name
    assert dict((key, kind) for key, kind, *_ in rows)["train.max_minutes"] == "float | null"


def test_agora_config_prints_every_key_with_its_doc_and_a_files_values(capsys):
    from training.cli import main
    from training.config_help import config_keys

    assert main(["config", "--config", "household_tiny"]) == 0
    out = capsys.readouterr().out
    for key, _, _, doc in config_keys():
        assert f"{key}: " in out and doc in out
    assert "rollout.memory_k: int = 3  [this config: 50]" in out
    assert main(["config", "algorithm.gamma=0.5", "algorithm.estimator=grpo"]) == 2  # the check applies here too


def test_agora_train_help_points_at_agora_config(capsys):
    from training.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    assert "agora config" in capsys.readouterr().out


def test_the_main_jobs_file_states_only_what_differs_from_the_defaults():
    import yaml

    from training.config import DEFAULT_CONFIG

    defaults = TrainConfig().model_dump(mode="json")

    def same_as_default(data, default, where):
        for key, value in data.items():
            if isinstance(value, dict) and isinstance(default.get(key), dict) and key != "env_kwargs":
                yield from same_as_default(value, default[key], f"{where}{key}.")
            elif value == default.get(key):
                yield f"{where}{key}"

    assert list(same_as_default(yaml.safe_load(DEFAULT_CONFIG.read_text()), defaults, "")) == []


def test_one_schema_for_the_tiny_policy_and_for_lora():
    from agents.llm.lora import LoraConfig
    from agents.tiny.config import TinyConfig
    from training.config import PolicyConfig

    assert PolicyConfig.model_fields["tiny"].annotation is TinyConfig
    assert LoraConfig in PolicyConfig.model_fields["lora"].annotation.__args__
    config = load_config("smollm2_lora_cpu")
    assert isinstance(config.policy.lora, LoraConfig) and config.policy.lora.r == 8


# --- rollout settings, derived once -------------------------------------------------------
def test_training_and_evaluation_rollouts_come_from_the_rollout_section():
    from training.config import eval_env_kwargs, eval_rollout, training_rollout

    config = load_config(None, ["rollout.memory_k=7", "rollout.max_turns=9", "rollout.top_p=0.9", "train.eval_temperature=0.5",
                                "train.eval_env_kwargs.shaped_reward=false"])
    train = training_rollout(config, seed=11)
    assert (train.group_size, train.memory_k, train.max_turns) == (4, 7, 9)
    assert (train.sampling.temperature, train.sampling.top_p, train.sampling.seed) == (1.0, 0.9, 11)
    ev = eval_rollout(config)
    assert (ev.group_size, ev.memory_k, ev.max_turns, ev.sampling.temperature, ev.sampling.top_p) == (1, 7, 9, 0.5, 1.0)
    assert eval_env_kwargs(config) == {"shaped_reward": False, "revisit_cost": 0.02}  # the file's, with the override on top
    cli = eval_rollout(config, memory_k=2, temperature=0.0)
    assert (cli.memory_k, cli.max_turns, cli.sampling.temperature) == (2, 9, 0.0)
    bare = eval_rollout()
    assert (bare.memory_k, bare.max_turns, bare.sampling.greedy) == (3, 1000, True)
