import envs
from agents.agent import Agent
from agents.backends.base import Generation
from agents.scripted import ExpertAgent, RandomAgent
from tests.toy_envs import CountdownEnv
from training.records import read_jsonl, write_jsonl
from training.rollout import RolloutConfig, Task, rollout

envs.register("TestRolloutCountdown-v0", CountdownEnv, family="test")
ENV = "agora/TestRolloutCountdown-v0"


class CountingAgent(Agent):
    """Answers with the expert's action and made-up token ids that encode the call and row."""

    def __init__(self):
        self.calls = 0
        self.sampled = []

    def act(self, decisions, sampling=None):
        self.calls += 1
        out = []
        for row, d in enumerate(decisions):
            ids = [self.calls, row, len(d.memory)]
            gen = Generation(d.env.expert_action(), [7, self.calls, row], ids, [-0.5, -0.25, -0.125], "stop")
            self.sampled.append((d.observation, gen.prompt_ids, gen.response_ids, gen.logprobs))
            out.append(gen)
        return out


def test_records_hold_exactly_what_the_sampler_returned():
    agent = CountingAgent()
    records = rollout(ENV, agent, [Task(seed=1), Task(seed=2)], RolloutConfig(group_size=2))
    assert len(records) == len(agent.sampled)
    stored = sorted((r.obs, r.prompt_ids, r.response_ids, r.logprobs) for r in records)
    assert stored == sorted(agent.sampled)


def test_one_row_per_decision_with_groups_turns_and_done():
    records = rollout(ENV, ExpertAgent(), [Task(seed=1), Task(seed=2)], RolloutConfig(group_size=3))
    episodes = {}
    for r in records:
        episodes.setdefault(r.episode_id, []).append(r)
    assert len(episodes) == 6
    for rows in episodes.values():
        assert [r.turn for r in rows] == list(range(len(rows)))
        assert [r.done for r in rows] == [False] * (len(rows) - 1) + [True]
        assert rows[-1].reward == 1.0 and rows[-1].info["won"]
        assert len({r.group_id for r in rows}) == 1
    # copies of one task share a group id; tasks differ
    groups = {r.group_id for r in records}
    assert len(groups) == 2


def test_memory_window_and_invalid_actions_are_recorded():
    agent = CountingAgent()
    rollout(ENV, agent, [Task(seed=3)], RolloutConfig(group_size=1, memory_k=1))
    # third element of response_ids is the memory length the agent saw: 0, then capped at 1
    assert [s[2][2] for s in agent.sampled] == [0] + [1] * (len(agent.sampled) - 1)
    records = rollout(ENV, RandomAgent(seed=0), [Task(seed=3)], RolloutConfig(group_size=1, max_turns=8))
    assert any(r.action == "skip" for r in records)
    assert all(r.action_valid for r in records)  # every admissible action is valid


def test_max_turns_caps_and_marks_done(tmp_path):
    records = rollout(ENV, RandomAgent(seed=1), [Task(seed=4)], RolloutConfig(max_turns=2))
    assert [r.turn for r in records] == [0, 1] and records[-1].done
    path = tmp_path / "rows.jsonl"
    write_jsonl(path, records)
    assert read_jsonl(path) == records


def test_multi_agent_rollout_has_one_row_per_agent_decision():
    env_id = "agora/InventoryBeerGame-v0"  # every agent acts in each of its 36 periods; turn-based games end sooner
    records = rollout(env_id, ExpertAgent(), [Task(seed=0)], RolloutConfig(group_size=2, max_turns=5))
    agents = envs.make(env_id).possible_agents
    assert {r.agent_id for r in records} == set(agents)
    assert len(records) == 2 * 5 * len(agents)
    assert all(r.action_valid for r in records)
