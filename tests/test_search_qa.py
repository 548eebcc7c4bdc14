"""Multi-hop search QA: questions follow from the documents alone, BM25 search, the turn loop and exact match."""

from __future__ import annotations

import re

import pytest

import envs
from envs.search_qa.env import SearchQAEnv, parse_command, parse_verdict
from envs.search_qa.registration import SPLITS as REGISTERED_SPLITS
from envs.search_qa.search import DocumentSearch
from envs.search_qa.world import HOPS, SPLITS, make_task, normalise_answer

DOCUMENT_FORMS = {  # an independent reading of each document: (relation noun, pattern with subject and object)
    "mentor": r"The mentor of (?P<s>.+) is (?P<t>.+)\.",
    "birthplace": r"(?P<s>.+) was born in the city of (?P<t>.+)\.",
    "employer": r"(?P<s>.+) works for (?P<t>.+)\.",
    "headquarters": r"(?P<s>.+) has its headquarters in the city of (?P<t>.+)\.",
    "founder": r"(?P<s>.+) was founded by (?P<t>.+)\.",
    "country": r"The city of (?P<s>.+) lies in the country of (?P<t>.+)\.",
    "ruler": r"The ruler of (?P<s>.+) is (?P<t>.+)\.",
    "maker": r"(?P<s>.+) was made by (?P<t>.+)\.",
}


def answer_from_documents(question: str, documents: list[str]) -> str:
    facts = {}
    for doc in documents:
        readings = [(noun, m) for noun, form in DOCUMENT_FORMS.items() if (m := re.fullmatch(form, doc))]
        assert len(readings) == 1, doc
        noun, match = readings[0]
        facts[noun, match["s"]] = match["t"]
    phrase = re.fullmatch(r"What is (.+)\?", question)[1]
    nouns = []
    while (m := re.match(r"the (\w+) of (.+)", phrase)) and m[1] in DOCUMENT_FORMS:
        nouns.append(m[1])
        phrase = m[2]
    entity = phrase
    for noun in reversed(nouns):
        entity = facts[noun, entity]
    return entity


def play(env, moves):
    for move in moves:
        result = env.step({a: move if a == env.acting else "wait" for a in env.agents})
    return result


def test_registered_splits_are_the_generators():
    assert REGISTERED_SPLITS == SPLITS and envs.spec("SearchQA-v0").kind == "multi"


@pytest.mark.parametrize("hops", HOPS)
def test_expert_team_answers_every_question_and_the_documents_alone_give_the_answer(hops):
    env = SearchQAEnv(hops=hops)
    for split in SPLITS:
        for index in range(35):
            env.reset(seed=0, options={"split": split, "index": index})
            assert len(env.question.chain) == hops
            assert answer_from_documents(env.question.text, env.world.documents) == env.question.answer
            while env.agents:
                _, rewards, _, _, infos = env.step(env.expert_actions())
            assert rewards == dict.fromkeys(env.possible_agents, 1.0) and infos["answerer"]["won"]


def test_worlds_are_identical_on_every_machine_and_splits_use_different_seeds():
    world, question = make_task("test", 3, 4)
    assert question.text == "What is the headquarters of the employer of the founder of the employer of Kagor Venmin?"
    assert question.answer == "Kaminvale" and len(world.documents) == 57
    train = {make_task("train", i)[1].text for i in range(200)}
    test = {make_task("test", i)[1].text for i in range(200)}
    assert not train & test
    with pytest.raises(ValueError, match="index"):
        make_task("test", 500)


def test_bm25_ranks_the_document_that_shares_the_rare_words_first():
    docs = ["The mentor of Velora Quint is Tobin Sarr.", "Mira Dell was born in the city of Ashvale.",
            "The city of Ashvale lies in the country of Quenland.", "Tobin Sarr works for the Lem Guild."]
    search = DocumentSearch(docs, top_k=2)
    assert search.search("Velora Quint mentor")[0] == 0
    assert search.search("which country is Ashvale in")[0] == 2
    assert set(search.search("Ashvale")) == {1, 2}
    assert search.search("the of is") == [] and search.search("zzz") == []
    tied = DocumentSearch(["The mentor of Ana Rel is Bo Ka.", "The mentor of Bo Ka is Ana Rel.", "Ana Rel works."])
    assert tied.search("mentor Ana Rel Bo Ka") == [0, 1, 2]  # equal scores: document order


def test_the_verifier_loops_to_the_searcher_and_notes_are_shared():
    env = SearchQAEnv(hops=2)
    env.reset(seed=0, options={"split": "test", "index": 0})
    first = env.question.chain[0]
    observations, rewards, _, _, infos = play(env, ["insufficient", f"search: {first.text}"])
    assert env.acting == "verifier" and infos["verifier"]["to_act"]
    assert all(first.text in obs for obs in observations.values())
    assert rewards == dict.fromkeys(env.possible_agents, 0.0)


def test_after_max_loops_searches_the_answerer_must_answer_and_exact_match_decides():
    env = SearchQAEnv(hops=3, max_loops=2)
    env.reset(seed=0, options={"split": "test", "index": 1})
    play(env, ["insufficient", "search: mentor", "insufficient", "search: city"])
    assert env.acting == "answerer"
    _, rewards, terms, _, _ = play(env, [f"answer: {env.question.answer.upper()}!"])
    assert all(terms.values()) and rewards == dict.fromkeys(env.possible_agents, 1.0)
    env.reset(seed=0, options={"split": "test", "index": 1})
    _, rewards, _, _, infos = play(env, ["sufficient", f"answer: {env.question.answer} maybe"])
    assert rewards == dict.fromkeys(env.possible_agents, 0.0) and not infos["verifier"]["won"]


def test_invalid_actions_cost_only_the_acting_agent():
    env = SearchQAEnv(invalid_penalty=0.5)
    env.reset(seed=0)
    _, rewards, _, _, infos = env.step({"verifier": "search: x", "searcher": "search: y", "answerer": "wait"})
    assert rewards == {"verifier": -0.5, "searcher": 0.0, "answerer": 0.0}
    assert [infos[a]["action_valid"] for a in env.possible_agents] == [False, False, True]
    assert env.acting == "verifier"


@pytest.mark.parametrize("text, command, argument", [("search: mentor of X", "search", "mentor of X"),
                                                     ("Search = who made it", "search", "who made it"),
                                                     ("answer:  The Lem Guild ", "answer", "The Lem Guild"),
                                                     ("answer:", "answer", None), ("search: x", "answer", None),
                                                     ("mentor of X", "search", None),
                                                     ("searching for X", "search", None)])
def test_commands_parse_robustly(text, command, argument):
    assert parse_command(text, command) == argument


def test_verdicts_and_exact_match_normalise():
    assert parse_verdict("Sufficient.") is True and parse_verdict("not sufficient yet") is False
    assert parse_verdict("insufficient") is False and parse_verdict("maybe") is None
    assert normalise_answer("the Lem  Guild.") == normalise_answer("Lem guild") == "lem guild"


def test_bad_options_are_refused_before_any_work():
    for kwargs in ({"hops": 5}, {"max_loops": 0}, {"top_k": 0}, {"split": "dev"}, {"invalid_penalty": -1}):
        with pytest.raises(ValueError):
            SearchQAEnv(**kwargs)
