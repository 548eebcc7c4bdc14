"""Team configs, idle-row folding, per-role statistics and the team's routing (no LLM)."""

from __future__ import annotations

import pytest

from agents.agent import Decision
from agents.team import Team
from agents.team_config import TeamConfig
from training.config import ConfigError, config_from_dict, dump_config, load_config
from training.records import StepRecord
from training.team_stats import role_stats, verdict
from training.team_trainer import acting_rows, team_env_kwargs

TWO_NETS = {
    "orchestration": {"kind": "loop", "max_loops": 2},
    "models": {"a": {"backend": "arithmetic"}, "b": {"backend": "arithmetic", "optim": {"lr": 0.5, "clip": 0.3}}},
    "roles": {"solver": {"model": "a"}, "verifier": {"model": "b"}},
}


def team_config(**team) -> dict:
    return {"env": "agora/CollabMath-v0", "env_kwargs": {"candidates": 4}, "team": {**TWO_NETS, **team}}


def row(episode, agent, turn, reward=0.0, done=False, to_act=True, valid=True, action="x") -> StepRecord:
    return StepRecord(episode_id=episode, group_id="g", agent_id=agent, turn=turn, obs="o", prompt_ids=[],
                      response_ids=[0] if to_act else [], logprobs=[], reward=reward, done=done, action_valid=valid,
                      env="e", action=action, info={"to_act": to_act})


def test_each_model_and_each_per_role_adapter_is_one_learner_with_its_own_optimiser():
    config = TeamConfig.model_validate(TWO_NETS)
    learners = config.learners()
    assert {name: roles for name, (_, roles, _) in learners.items()} == {"a": ["solver"], "b": ["verifier"]}
    assert learners["b"][2].lr == 0.5 and learners["b"][2].clip == 0.3 and learners["a"][2].lr == 1e-3
    shared = TeamConfig.model_validate({
        "orchestration": {"kind": "loop"},
        "models": {"base": {"backend": "hf", "lora": {"r": 2}, "adapters": "per_role"}},
        "roles": {"solver": {"model": "base", "optim": {"lr": 0.01}}, "verifier": {"model": "base"}},
    })
    learners = shared.learners()
    assert list(learners) == ["base/solver", "base/verifier"]
    assert learners["base/solver"][2].lr == 0.01 and learners["base/verifier"][2].lr == 1e-3


@pytest.mark.parametrize("team, message", [
    ({"roles": {"solver": {"model": "nope"}, "verifier": {"model": "b"}}}, "names model 'nope'"),
    ({"roles": {"solver": {"model": "a", "optim": {"lr": 1}}, "verifier": {"model": "b"}}}, "per_role adapter"),
    ({"models": {"a": {"backend": "tiny", "adapters": "per_role"}}, "roles": {"solver": {"model": "a"}}}, "per_role needs"),
    ({"roles": {"solver": {"model": "a"}, "verifier": {"model": "a"}}}, "played by no role"),
])
def test_a_team_config_that_does_not_fit_together_is_refused_with_the_reason(team, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(team_config(**team))


def test_the_team_must_have_the_envs_roles_and_play_its_turn_order():
    config = config_from_dict(team_config())
    assert team_env_kwargs(config) == {"candidates": 4, "max_loops": 2}
    wrong_order = config_from_dict(team_config(orchestration={"kind": "router"}))
    with pytest.raises(ValueError, match="plays 'loop' turns"):
        team_env_kwargs(wrong_order)
    wrong_roles = config_from_dict({**team_config(), "env": "agora/SearchQA-v0", "env_kwargs": {}})
    with pytest.raises(ValueError, match="must be exactly"):
        team_env_kwargs(wrong_roles)
    twice = config_from_dict({**team_config(), "env_kwargs": {"candidates": 4, "max_loops": 3}})
    with pytest.raises(ValueError, match="disagree"):
        team_env_kwargs(twice)


def test_settings_a_team_replaces_are_refused_and_a_dumped_team_config_reloads(tmp_path):
    with pytest.raises(ConfigError, match="'optim' does not apply to a team"):
        config_from_dict({**team_config(), "optim": {"lr": 0.1}})
    config = config_from_dict(team_config())
    (tmp_path / "config.yaml").write_text(dump_config(config))
    assert load_config(tmp_path / "config.yaml").team == config.team


def test_idle_rows_are_dropped_and_their_reward_goes_to_the_agents_previous_acting_row():
    rows = [
        row("e", "solver", 0), row("e", "verifier", 0, to_act=False),
        row("e", "solver", 1, to_act=False, reward=-0.1), row("e", "verifier", 1, reward=-0.1),
        row("e", "solver", 2), row("e", "verifier", 2, to_act=False),
        row("e", "solver", 3, to_act=False, reward=1.0, done=True), row("e", "verifier", 3, reward=1.0, done=True),
    ]
    kept = acting_rows(rows)
    assert [(r.agent_id, r.turn, r.reward, r.done) for r in kept] == [
        ("solver", 0, -0.1, False), ("verifier", 1, -0.1, False), ("solver", 2, 1.0, True), ("verifier", 3, 1.0, True),
    ]
    assert verdict(kept[0].action) is None and rows[2].reward == -0.1  # the input rows are left as they were


def test_a_reward_before_an_agents_first_turn_goes_to_its_first_turn_and_a_role_that_never_acts_leaves_no_rows():
    rows = [row("e", "b", 0, to_act=False, reward=0.5), row("e", "b", 1), row("e", "c", 0, to_act=False)]
    assert [(r.turn, r.reward) for r in acting_rows(rows)] == [(1, 0.5)]


def test_role_stats_count_calls_invalid_actions_and_verdicts():
    rows = [row("e", "verifier", 0, action="approve"), row("e", "verifier", 1, action="reject: no"),
            row("e", "verifier", 2, action="insufficient"), row("e", "verifier", 3, action="??", valid=False),
            row("e", "solver", 0, action="answer: 3"), row("e", "solver", 1, to_act=False, action="wait")]
    stats = role_stats(rows)
    assert stats["verifier"].calls == 4 and stats["verifier"].invalid.mean == 0.25
    assert stats["verifier"].approval.mean == pytest.approx(1 / 3) and stats["verifier"].approval.n == 3
    assert stats["solver"].calls == 1 and stats["solver"].approval is None


class Echo:
    """A member that answers each decision with its task (so the prompt routing shows)."""

    def __init__(self):
        self.seen = []

    def act(self, decisions, sampling=None):
        from agents.backends.base import Generation

        self.seen += decisions
        return [Generation(d.task, [1], [2], [0.0], "stop") for d in decisions]

    def close(self):
        pass


def test_the_team_routes_each_decision_to_its_role_answers_idle_ones_itself_and_uses_the_roles_prompt():
    solver, verifier = Echo(), Echo()
    team = Team({"solver": solver, "verifier": verifier}, {"verifier": "check it"})
    decisions = [Decision("solve", "o", [], agent_id="solver"), Decision("v", "o", ["wait"], agent_id="verifier", to_act=False),
                 Decision("v", "o", [], agent_id="verifier")]
    out = team.act(decisions)
    assert [g.text for g in out] == ["solve", "wait", "check it"]
    assert out[1].response_ids == [] and out[1].extra["idle"]
    assert len(solver.seen) == 1 and len(verifier.seen) == 1
    with pytest.raises(ValueError, match="no role"):
        team.act([Decision("t", "o", [], agent_id="stranger")])
