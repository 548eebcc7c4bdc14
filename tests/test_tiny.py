"""The tiny policy: shapes, determinism, log-prob recomputation, gradients, errors, learnability."""

import random

import pytest
import torch

from agents.agent import Decision
from agents.backends.base import SamplingConfig
from agents.tiny import TinyAgent, TinyConfig
from agents.tiny.agent import batch_tensors
from agents.tiny.tokenizer import ACTION, PAIR, WORD, action_ids, hashed_id, kind_of, text_ids

SMALL = TinyConfig(vocab_size=1024, dim=16, hidden=32)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def household_rows(n=5):
    rows = []
    for i in range(n):
        actions = ["go to cabinet 1", "go to cabinet 2", "open drawer 1", "take mug 1 from countertop 1", "look"][: 2 + i % 4]
        memory = [("You arrive at cabinet 2.", "go to cabinet 2"), ("The drawer 1 is closed.", "go to drawer 1")][: i % 3]
        rows.append(Decision("put a clean mug in coffeemachine", f"You see a mug {i + 1}.", actions, memory, turn=i, max_turns=50))
    return rows


def trained_agent(config=SMALL, seed=0):
    """An agent whose scores are not uniform (the last layer and one side of each cross start at zero)."""
    agent = TinyAgent(config, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in agent.model.score[-1].parameters():
            p.normal_(0, 1.0, generator=generator)
        agent.model.word_side.weight.normal_(0, 0.1, generator=generator)
    return agent


def test_tokenizer_is_stable_and_tells_numbers_apart():
    assert text_ids("Cabinet 1", 10) != text_ids("cabinet 2", 10)
    assert text_ids("Cabinet 1", 10) == text_ids("cabinet   1.", 10)
    # zlib.crc32, not hash(): these ids are the same in every process and on every machine.
    assert hashed_id(WORD, "cabinet") == 16 + (0x4CED_05B0 & ((1 << 22) - 1))
    ids = action_ids("take mug 1 from cabinet 1", 10)
    assert [kind_of(i) for i in ids] == [WORD] * 6 + [PAIR] * 5 + [ACTION]
    assert len(text_ids(" ".join(["w"] * 50), 8)) == 8 + 7


def test_act_shapes_and_extra():
    agent = trained_agent()
    rows = household_rows()
    gens = agent.act(rows, SamplingConfig(seed=0))
    assert len(gens) == len(rows)
    for row, gen in zip(rows, gens):
        (index,) = gen.response_ids
        assert gen.text == row.admissible_actions[index]
        assert len(gen.extra["candidate_ids"]) == len(row.admissible_actions)
        assert len(gen.logprobs) == 1 and gen.logprobs[0] <= 0
        assert gen.prompt_ids and gen.finish_reason == "stop"
    scores = agent.token_scores([g.prompt_ids for g in gens], [g.response_ids for g in gens], [g.extra for g in gens])
    assert scores.logprobs.shape == scores.entropy.shape == scores.mask.shape == (len(rows), 1)
    assert agent.act([], SamplingConfig()) == []


def test_untrained_policy_is_uniform():
    gens = TinyAgent(SMALL).act(household_rows(), SamplingConfig(seed=0))
    for gen in gens:
        assert gen.logprobs[0] == pytest.approx(-torch.log(torch.tensor(len(gen.extra["candidate_ids"]))).item(), abs=1e-6)


def test_same_seed_same_samples_and_weights():
    rows = household_rows() * 8
    a, b = trained_agent(seed=3), trained_agent(seed=3)
    for name, t in a.state_dict()["tensors"].items():
        assert torch.equal(t, b.state_dict()["tensors"][name])
    first = [g.response_ids for g in a.act(rows, SamplingConfig(seed=11))]
    assert first == [g.response_ids for g in b.act(rows, SamplingConfig(seed=11))]
    assert first != [g.response_ids for g in a.act(rows, SamplingConfig(seed=12))]
    assert not torch.equal(TinyAgent(SMALL, seed=1).model.embed.weight, TinyAgent(SMALL, seed=2).model.embed.weight)


@pytest.mark.parametrize("sampling", [SamplingConfig(), SamplingConfig(temperature=0.7, seed=1), SamplingConfig(top_p=0.6, seed=2), SamplingConfig(temperature=0), SamplingConfig(temperature=0, top_p=0.5)])
def test_recomputed_logprobs_equal_sampled(sampling):
    agent = trained_agent()
    gens = agent.act(household_rows(), sampling)
    agent.train_mode(True)
    scores = agent.token_scores([g.prompt_ids for g in gens], [g.response_ids for g in gens], [g.extra for g in gens])
    assert scores.logprobs.squeeze(1).tolist() == pytest.approx([g.logprobs[0] for g in gens], abs=1e-5)
    assert bool((scores.entropy >= 0).all())


def test_rows_do_not_affect_each_other():
    agent = trained_agent()
    rows = household_rows()
    together = agent.act(rows, SamplingConfig(temperature=0))
    for row, gen in zip(rows, together):
        alone = agent.act([row], SamplingConfig(temperature=0))[0]
        assert alone.response_ids == gen.response_ids
        assert alone.logprobs[0] == pytest.approx(gen.logprobs[0], abs=1e-5)


def test_gradients_reach_every_parameter():
    agent = trained_agent()
    gens = agent.act(household_rows(), SamplingConfig(seed=0))
    agent.train_mode(True)
    scores = agent.token_scores([g.prompt_ids for g in gens], [g.response_ids for g in gens], [g.extra for g in gens])
    (scores.logprobs.sum() + scores.entropy.sum()).backward()
    for name, p in agent.model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert agent.trainable_parameters() == list(agent.model.parameters())


def test_free_form_env_is_a_clear_error():
    agent = TinyAgent(SMALL)
    row = Decision("win", "Say something.", [], family="twenty_questions")
    with pytest.raises(ValueError, match="twenty_questions.*no admissible actions"):
        agent.act([row])
    gen = agent.act(household_rows(1))[0]
    with pytest.raises(ValueError, match="candidate_ids"):
        agent.token_scores([gen.prompt_ids], [gen.response_ids], [{}])
    with pytest.raises(ValueError, match="outcome_matches"):
        agent.token_scores([gen.prompt_ids], [gen.response_ids], [{"candidate_ids": gen.extra["candidate_ids"]}])
    with pytest.raises(ValueError, match="outcome matches for"):
        agent.token_scores([gen.prompt_ids], [gen.response_ids], [{**gen.extra, "outcome_matches": []}])
    with pytest.raises(ValueError, match="response_ids"):
        agent.token_scores([gen.prompt_ids], [[99]], [gen.extra])


def test_state_dict_round_trip():
    agent = trained_agent()
    state = agent.state_dict()
    assert set(state) == {"config", "tensors"} and all(isinstance(t, torch.Tensor) for t in state["tensors"].values())
    copy = TinyAgent.from_state_dict(state)
    rows = household_rows()
    assert [g.logprobs for g in copy.act(rows, SamplingConfig(temperature=0))] == [
        g.logprobs for g in agent.act(rows, SamplingConfig(temperature=0))
    ]
    with pytest.raises(ValueError, match="config"):
        TinyAgent(TinyConfig(dim=8)).load_state_dict(state)


def test_memory_window_and_padding():
    row = household_rows(3)[2]
    assert len(row.memory) == 2
    full = TinyAgent(SMALL).encode([row])[0][0]
    for fewer in ({"memory_act_k": 1}, {"memory_obs_k": 1}, {"memory_act_k": 0, "memory_obs_k": 0}):
        assert len(TinyAgent(TinyConfig(vocab_size=1024, dim=16, hidden=32, **fewer)).encode([row])[0][0]) < len(full)
    more_than_there_is = SMALL.model_copy(update={"memory_obs_k": 5, "memory_act_k": 5})
    assert TinyAgent(more_than_there_is).encode([row])[0][0] == full
    context, candidates, outcome = batch_tensors([[1, 2], [3]], [[[5], [6, 7]], [[8, 9, 10]]], [[2, 0], [1]])
    assert context.tolist() == [[1, 2], [3, 0]]
    assert candidates.tolist() == [[[5, 0, 0], [6, 7, 0]], [[8, 9, 10], [0, 0, 0]]]
    assert outcome.tolist() == [[2.0, 0.0], [1.0, 0.0]]


COLOURS = ["red", "blue", "green", "yellow", "black", "white", "pink", "grey"]
WEATHER = {"hot": "drink water", "cold": "wear a coat", "rainy": "open the umbrella"}


def synthetic_batch(rng, n):
    """Half the rows: fetch the ball named in the task (word overlap); half: react to the weather
    (no overlap, the embeddings must learn it)."""
    rows, answers = [], []
    for i in range(n):
        if i % 2:
            colours = rng.sample(COLOURS, 4)
            rows.append(Decision(f"fetch the {colours[0]} ball", "You are in the playroom.", [f"take {c} ball" for c in sorted(colours)]))
            answers.append(f"take {colours[0]} ball")
        else:
            weather = rng.choice(sorted(WEATHER))
            rows.append(Decision("get ready to go out", f"It is {weather} outside.", sorted(WEATHER.values())))
            answers.append(WEATHER[weather])
    return rows, answers


def test_learns_a_synthetic_choice_task_with_reinforce():
    torch.manual_seed(0)
    agent = TinyAgent(TinyConfig(vocab_size=2048, dim=32, hidden=64), seed=0)
    optimizer = torch.optim.Adam(agent.trainable_parameters(), lr=3e-3)
    rng = random.Random(0)
    for step in range(200):  # at 100 some seeds have not yet settled the weather rows
        rows, answers = synthetic_batch(rng, 32)
        gens = agent.act(rows, SamplingConfig(seed=step))
        rewards = torch.tensor([float(g.text == a) for g, a in zip(gens, answers)])
        agent.train_mode(True)
        scores = agent.token_scores([g.prompt_ids for g in gens], [g.response_ids for g in gens], [g.extra for g in gens])
        loss = -((rewards - rewards.mean()) * scores.logprobs.squeeze(1)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    rows, answers = synthetic_batch(random.Random(123), 200)
    gens = agent.act(rows, SamplingConfig(temperature=0))
    assert sum(g.text == a for g, a in zip(gens, answers)) / len(rows) > 0.95


def test_one_seed_reused_every_turn_still_explores():
    """A rollout may pass the same SamplingConfig every turn: the draws must still differ by turn."""
    agent = TinyAgent(SMALL)
    actions = [f"go to cabinet {n}" for n in range(1, 11)]
    chosen = [
        agent.act([Decision("find a mug", f"Turn {t}.", actions, turn=t)], SamplingConfig(seed=0))[0].response_ids[0]
        for t in range(100)
    ]
    assert len(set(chosen)) >= 8


def test_match_features_are_exact_on_ids():
    """The model counts where each candidate token occurs in the context, by segment."""
    from agents.tiny.model import _counts, _segments, _sorted_keys
    from agents.tiny.tokenizer import SEGMENTS, context_ids

    ctx = context_ids("put a mug in cabinet", "You see a mug 1.", [("o", "go to cabinet 2")] * 2, 0, 50, 50, 2, None)
    context = torch.tensor([ctx])
    keys = _sorted_keys(context, _segments(context))
    mug, cab2, go = hashed_id(WORD, "mug"), hashed_id(PAIR, "cabinet 2"), action_ids("go to cabinet 2", 50)[-1]
    counts = _counts(keys, torch.tensor([[mug, cab2, go, hashed_id(WORD, "zebra")]]))[0]
    seg = {name: i for i, name in enumerate(SEGMENTS)}
    assert counts[0, seg["task"]] == 1 and counts[0, seg["obs"]] == 1 and counts[0, seg["mem_act"]] == 0
    assert counts[1, seg["mem_act"]] == 1 and counts[1, seg["last_act"]] == 1 and counts[1, seg["obs"]] == 0
    assert counts[2, seg["mem_act"]] == 2  # the whole action, taken twice
    assert counts[3].sum() == 0


def test_remembered_actions_list_each_verb_once():
    from agents.tiny.tokenizer import VERB, context_ids, kind_of

    memory = [("o", "go to fridge 1"), ("o", "heat egg 1 with microwave 1"), ("o", "go to countertop 1")]
    ctx = context_ids("put a hot egg in countertop", "You arrive.", memory, 3, 50, 50, 2, None)
    verbs = [i for i in ctx if kind_of(i) == VERB]
    assert verbs == [hashed_id(VERB, "go"), hashed_id(VERB, "heat")]
    assert not any(kind_of(i) == VERB for i in context_ids("t", "o", [], 0, 50, 50, 2, None))


def test_cross_weights_tie_a_task_word_to_a_candidate_word_no_exact_match_links():
    """Only "hot" vs "cold" tells the two tasks apart, and neither word is in any candidate: the
    cross term alone (the rest of the network frozen) learns microwave for one, fridge for the other."""
    agent = TinyAgent(SMALL, seed=0)
    model = agent.model
    actions = ["go to fridge 1", "go to microwave 1", "go to shelf 1"]
    rows = [Decision(f"put a {w} egg in shelf", "You hold the egg 1.", actions) for w in ("hot", "cold")]
    prompts, candidates, outcomes = agent.encode(rows)
    tensors = batch_tensors(prompts, candidates, outcomes)
    optimizer = torch.optim.Adam([model.word_side.weight], lr=0.05)
    target = torch.tensor([1, 0])  # microwave for "hot", fridge for "cold"
    for _ in range(60):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(*tensors), target).backward()
        optimizer.step()
    assert model(*tensors).argmax(-1).tolist() == [1, 0]


def test_match_counts_enter_as_levels_so_an_unseen_count_is_not_extrapolated():
    from agents.tiny.model import _levels

    counts = torch.tensor([[0.0, 1.0], [2.0, 7.0]])  # 2 rows x 2 segments
    assert _levels(counts).tolist() == [[0, 0, 0, 1, 0, 0], [0, 1, 0, 0, 0, 1]]  # per segment: 1, 2, 3+


def test_outcome_matches_count_the_task_words_seen_after_an_actions_last_use():
    from agents.tiny.tokenizer import outcome_matches

    memory = [
        ("You are in the middle of a room.", "go to shelf 2"),
        ("You arrive at shelf 2. On the shelf 2, you see a box 2, and a box 1.", "take box 2 from shelf 2"),
        ("You pick up the box 2 from the shelf 2.", "go to armchair 1"),
        ("You arrive at armchair 1. On the armchair 1, you see nothing.", "Go to  Shelf 2"),  # same action, normalised
        ("You arrive at shelf 2. On the shelf 2, you see a box 1.", "go to armchair 1"),
    ]
    now = "You arrive at armchair 1. On the armchair 1, you see a box 2."
    actions = ["go to shelf 2", "go to armchair 1", "go to sofa 1", "take box 2 from shelf 2"]
    # task words: put two box in armchair. shelf 2's last visit showed "box"; armchair 1's last
    # visit (now) shows "box" and "armchair"; sofa 1 was never visited; the take showed "box".
    assert outcome_matches("put two box in armchair.", now, memory, actions, 50) == [1, 2, 0, 1]
    assert outcome_matches("put two box in armchair.", now, [], actions, 50) == [0, 0, 0, 0]


def test_outcome_matches_ignore_the_observations_own_phrasing():
    from agents.tiny.tokenizer import outcome_matches

    task = "put some spraybottle on drawer."  # content words: spraybottle, drawer
    memory = [
        ("You are in the middle of a room.", "go to cabinet 1"),
        ("You arrive at cabinet 1. On the cabinet 1, you see a soapbar 1.", "go to toilet 1"),
        ("You arrive at toilet 1. On the toilet 1, you see a spraybottle 2.", "go to drawer 1"),
    ]
    now = "You arrive at drawer 1. The drawer 1 is closed."
    # "on", "a" and "some" of the task are in every "On the X, you see a ..." and count for nothing
    assert outcome_matches(task, now, memory, ["go to cabinet 1", "go to toilet 1", "go to drawer 1", "go to shelf 1"], 50) == [0, 1, 1, 0]


def test_a_dead_end_is_an_action_taken_before_whose_outcome_showed_nothing_of_the_task():
    from agents.tiny.model import N_FEATURES

    agent = TinyAgent(SMALL)
    with torch.no_grad():  # score = the dead-end weight alone (the other output layers start at zero)
        agent.model.linear.bias[N_FEATURES - 1] = -5.0
    memory = [
        ("You are in the middle of a room.", "go to cabinet 1"),
        ("You arrive at cabinet 1. On the cabinet 1, you see a soapbar 1.", "go to toilet 1"),
        ("You arrive at toilet 1. On the toilet 1, you see a spraybottle 2.", "go to bathtubbasin 1"),
    ]
    candidates = ["go to cabinet 1", "go to toilet 1", "go to shelf 1"]  # searched, showed the object, never visited
    d = Decision("put some spraybottle on drawer.", "You arrive at bathtubbasin 1.", candidates, memory)
    scores = agent.token_scores(*zip(*[(g.prompt_ids, [i], g.extra) for i, g in enumerate(agent.act([d] * 3))]))
    dead, seen_it, fresh = scores.logprobs.flatten().tolist()
    assert seen_it == pytest.approx(fresh, abs=1e-6) and dead - fresh == pytest.approx(-5.0, abs=1e-5)


@pytest.mark.parametrize("prior", [0.0, 2.0])
def test_novelty_prior_makes_a_repeated_action_less_likely_by_its_factor(prior):
    agent = TinyAgent(SMALL.model_copy(update={"novelty_prior": prior}))
    memory = [("You are in the middle of a room.", "go to cabinet 1"), ("You arrive at cabinet 1.", "go to drawer 1")]
    d = Decision("put a mug in cabinet.", "You arrive at drawer 1.", ["go to cabinet 1", "go to cabinet 2"], memory)
    scores = agent.token_scores(*zip(*[(g.prompt_ids, [i], g.extra) for i, g in enumerate(agent.act([d, d]))]))
    taken_before, fresh = scores.logprobs.flatten().tolist()
    assert taken_before - fresh == pytest.approx(-prior * torch.log(torch.tensor(2.0)).item(), abs=1e-5)


def test_checkpoint_from_another_network_version_is_a_clear_error():
    state = TinyAgent(SMALL).state_dict()
    with pytest.raises(ValueError, match="does not know.*'warp_drive'"):
        TinyAgent.from_state_dict({**state, "config": {**state["config"], "warp_drive": 1}})
    state["tensors"]["linear.bias"] = state["tensors"]["linear.bias"][:-1]
    with pytest.raises(ValueError, match="do not fit this version.*linear.bias"):
        TinyAgent.from_state_dict(state)
