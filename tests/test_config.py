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
        load_config(None, ["env.x=1"])
    with pytest.raises(ConfigError, match="not found; packaged configs: .*household_tiny"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(bad)


def test_lora_on_the_tiny_policy_is_rejected():
    with pytest.raises(ConfigError, match="lora applies to LLM backends"):
        load_config(None, ["policy.lora.r=8"])


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
