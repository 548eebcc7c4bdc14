"""Registers the multi-hop search QA id. The entry point is a string, so nothing here imports the env."""

from envs.registry import register

SPLITS = ("train", "test")  # == world.SPLITS (tested)


def register_search_qa_envs() -> None:
    register("SearchQA-v0", "envs.search_qa.env:SearchQAEnv", kind="multi", family="search_qa",
             engine="native", interface="text", splits=SPLITS,
             description="verifier, searcher and answerer: 2-4 hop questions on a generated world of "
                         "fictional facts, BM25 search; kwargs split, hops, max_loops, top_k, invalid_penalty")
