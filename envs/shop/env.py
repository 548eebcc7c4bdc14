"""``ShopEnv``: WebShop's text environment on a generated catalogue.

    env = envs.make("agora/Shop-v0")
    obs, info = env.reset(seed=0, options={"split": "test", "index": 3})
    obs, reward, terminated, truncated, info = env.step("search[gluten free protein bars]")

Pages and actions are WebShop's: the search page takes ``search[query]``; results pages list
ten of the top 50 BM25 hits with ``click[<asin>]``, ``click[next >]``, ``click[< prev]`` and
``click[back to search]``; an item page has its option values (``click[navy blue]``, one value
per group, a later click replacing an earlier one), ``click[description]`` / ``features`` /
``reviews`` (sub pages, left with ``click[< prev]``) and ``click[buy now]``, which ends the episode
with WebShop's reward (``envs.shop.reward``). Click arguments are case-insensitive, as in WebShop.
An invalid or malformed action changes nothing and says why. Every action counts towards
``max_steps``; reaching it without buying truncates with reward 0. Success (``won``) is reward 1.

Constructor kwargs:
    num_products      catalogue size (1000 default; 10_000 and 100_000 are the quoted sizes)
    catalogue_seed    the catalogue's seed (0: the catalogue and splits every machine shares)
    observation_mode  "text" (WebShop's " [SEP] "-joined strings) or "text_rich" (clickables marked)
    max_steps         step limit (15, the usual LLM-agent setting)
    query_candidates  list search[...] actions built from the instruction on the search page
                      (the instruction without its price clause; also without its options; also
                      without its opening words), as WebShop's IL/RL baselines do; any other query
                      stays allowed. False lists nothing there (free-form search only).
    item_names        list results as ``click[item - <title>]`` instead of ``click[<asin>]``
                      (WebShop's ``click_item_name`` baseline option); both forms are always accepted.
    buy_needs_options leave ``click[buy now]`` out of the listed actions until every option group
                      has a value (WebShop's ``ban_buy`` baseline option); buying stays allowed.
    split             "train" (default) or "test": the goals a reset without options draws from

``reset(seed=, options=)`` options: ``split`` and ``index`` (goal ``index`` of the split; without
it the seed draws one). ``info`` also carries ``task_type`` (the goal's category) and
``task_name`` ("test/3"), and after a purchase ``reward_parts`` (the terms of the reward).
"""

from __future__ import annotations

import re
from dataclasses import asdict

from envs.core import StepOutcome, TextEnv, quote_action
from envs.shop import pages
from envs.shop.catalogue import SPLITS, build_catalogue
from envs.shop.pages import PageState
from envs.shop.queries import query_candidates
from envs.shop.reward import purchase_reward

MAX_QUERY_CHARS = 500
ITEM_PREFIX = "item - "
_ACTION = re.compile(r"(search|click)\[(.*)\]", re.DOTALL)
_OPTIONS = ("split", "index")


class ShopEnv(TextEnv):
    def __init__(
        self,
        num_products: int = 1_000,
        catalogue_seed: int = 0,
        observation_mode: str = "text",
        max_steps: int = 15,
        query_candidates: bool = True,
        item_names: bool = False,
        buy_needs_options: bool = False,
        split: str = "train",
        render_mode: str | None = None,
    ):
        super().__init__(render_mode=render_mode)
        if observation_mode not in pages.OBSERVATION_MODES:
            raise ValueError(f"observation_mode must be one of {pages.OBSERVATION_MODES}, got {observation_mode!r}")
        if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1:
            raise ValueError(f"max_steps must be a positive int, got {max_steps!r}")
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        self.catalogue = build_catalogue(num_products, catalogue_seed)
        self.observation_mode = observation_mode
        self.max_steps = max_steps
        self.list_queries = bool(query_candidates)
        self.item_names = bool(item_names)
        self.buy_needs_options = bool(buy_needs_options)
        self.split = split
        self.goal = None
        self.goal_name = ""
        self.state = PageState()
        self._steps = 0
        self._tried_queries: list[str] = []  # this episode's searches (the expert tries the next one)
        self._elements: list[pages.Element] = []

    # --- TextEnv hooks -------------------------------------------------------------------
    def _reset(self, options: dict) -> str:
        unknown = sorted(set(options) - set(_OPTIONS))
        if unknown:
            raise ValueError(f"unknown reset options {unknown}; expected some of {list(_OPTIONS)}")
        split = options.get("split", self.split)
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        index = options.get("index")
        if index is None:
            index = int(self.np_random.integers(len(self.catalogue.goals[split])))
        self.goal = self.catalogue.goal(split, index)
        self.goal_name = f"{split}/{index}"
        self.task = self.goal.instruction
        self.state = PageState()
        self._steps = 0
        self._tried_queries = []
        return self._observe()

    def _step(self, action: str) -> StepOutcome:
        if self.goal is None:
            raise RuntimeError("call reset() before step()")
        self._steps += 1
        problem = self._apply(action)
        reward, extra = 0.0, None
        if problem is None and self.state.page == "done":
            parts = purchase_reward(self.catalogue.by_asin[self.state.asin], self.state.options, self.goal)
            self.state.score = reward = parts.reward
            extra = {"reward_parts": asdict(parts)}
        obs = self._observe()
        if problem is not None:
            obs = f"Invalid action: {problem} Nothing changed; the page is:\n{obs}"
        done = self.state.page == "done"
        return StepOutcome(
            obs=obs,
            reward=reward,
            terminated=done,
            truncated=not done and self._steps >= self.max_steps,
            action_valid=problem is None,
            won=done and reward >= 1.0,
            extra=extra,
        )

    def admissible_actions(self) -> list[str]:
        if self.goal is None or self.state.page == "done":
            return []
        if self.state.page == "search":
            return [f"search[{q}]" for q in query_candidates(self.goal.instruction)] if self.list_queries else []
        actions = []
        product = self.catalogue.by_asin[self.state.asin] if self.state.asin else None
        options_missing = product is not None and len(self.state.options) < len(product.options)
        for e in self._elements:
            if e.action is None or (e.action == "buy now" and self.buy_needs_options and options_missing):
                continue
            if e.kind == "link" and self.item_names:
                actions.append(f"click[{ITEM_PREFIX}{self.catalogue.by_asin[e.text].title.lower()}]")
            else:
                actions.append(f"click[{e.action}]")
        return actions

    def expert_action(self) -> str:
        """Search with the instruction's queries (then the target's title) until the target shows
        up, page to it, open it, choose the goal's options and buy (privileged: knows the target)."""
        if self.goal is None:
            raise RuntimeError("call reset() before expert_action()")
        goal, state = self.goal, self.state
        if state.page == "search":
            untried = [q for q in query_candidates(goal.instruction) if q not in self._tried_queries]
            return f"search[{untried[0] if untried else goal.name.lower()}]"
        if state.page == "results":
            if goal.asin in state.page_results():
                return self._click_item(goal.asin)
            if goal.asin in state.results[state.page_no * pages.PAGE_SIZE :]:
                return "click[next >]"
            return "click[back to search]"
        if state.page == "item" and state.asin == goal.asin:
            for group, value in goal.chosen:
                if state.options.get(group) != value:
                    return f"click[{value}]"
            return "click[buy now]"
        return "click[< prev]"  # a sub page, or another product's page

    def _info(self, action_valid: bool | None = None) -> dict:
        info = super()._info(action_valid)
        if self.goal is not None:
            info["task_type"] = self.goal.category
            info["task_name"] = self.goal_name
        return info

    # --- pages ---------------------------------------------------------------------------
    def _observe(self) -> str:
        self._elements = pages.page_elements(self.state, self.task, self.catalogue)
        return pages.render(self._elements, self.observation_mode)

    @property
    def steps_taken(self) -> int:
        return self._steps

    def page_elements(self) -> list[pages.Element]:
        """The current page's elements (what the browser renders)."""
        return list(self._elements)

    def _click_item(self, asin: str) -> str:
        name = f"{ITEM_PREFIX}{self.catalogue.by_asin[asin].title.lower()}" if self.item_names else asin.lower()
        return f"click[{name}]"

    def _apply(self, action: str) -> str | None:
        """Carry out ``action``; return why it is invalid (changing nothing), or None."""
        match = _ACTION.fullmatch(action.strip())
        if match is None:
            return f"{quote_action(action)} is not an action. Use search[query] or click[button]."
        verb, arg = match.group(1), match.group(2).strip().lower()
        state = self.state
        if verb == "search":
            if state.page != "search":
                return "search[...] only works on the search page; click[back to search] first."
            if not arg:
                return "the search query is empty."
            if len(arg) > MAX_QUERY_CHARS:
                return f"the search query is longer than {MAX_QUERY_CHARS} characters."
            self._tried_queries.append(arg)
            self.state = PageState(page="results", query=arg, results=self.catalogue.search.search(arg), visited=state.visited)
            return None
        element = next((e for e in self._elements if e.action == arg), None)
        if element is None and state.page == "results" and arg.startswith(ITEM_PREFIX):  # a link's title form
            title = arg[len(ITEM_PREFIX) :]
            asin = next((a for a in state.page_results() if self.catalogue.by_asin[a].title.lower() == title), None)
            element = pages.Element("link", asin) if asin else None
        if element is None:
            where = "the search page has no buttons to click; use search[query]" if state.page == "search" else "it is not on this page"
            return f"cannot click {quote_action(arg)}: {where}."
        self._click(element)
        return None

    def _click(self, element: pages.Element) -> None:
        state, action = self.state, element.action
        if action == pages.BACK_TO_SEARCH.lower():
            self.state = PageState(visited=state.visited)
        elif action == pages.NEXT_PAGE.lower() and state.page == "results":
            state.page_no += 1
        elif action == pages.PREV_PAGE.lower():
            if state.page == "results":
                state.page_no -= 1
            elif state.page == "item":  # back to the results: WebShop forgets the options there
                state.page, state.asin, state.options = "results", None, {}
            else:
                state.page = "item"
        elif element.kind == "link":
            state.page, state.asin, state.options = "item", element.text, {}
            state.visited.add(element.text)
        elif element.kind == "option":
            state.options[element.group] = element.text
        elif action in (name.lower() for name in pages.SUB_PAGES):
            state.page, state.sub_page = "sub", action
        elif action == pages.BUY_NOW.lower():
            state.page = "done"
