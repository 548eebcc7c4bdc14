import random
import time

import pytest

from agents.parsing import ParsedAction, ParserConfig, normalize_action, parse_action

NO_THINK = ParserConfig(require_think=False)


@pytest.mark.parametrize(
    "text, action, valid, error, think",
    [
        ("<think>hm</think><action>go to desk 1</action>", "go to desk 1", True, None, "hm"),
        ("<think> a </think>\n\n<action>\n  Go  To\tDesk 1 \n</action>\n", "Go To Desk 1", True, None, "a"),
        ("<THINK>x</Think><ACTION>look</aCtIoN>", "look", True, None, "x"),
        ("Sure! <think>x</think><action>look</action> Done.<|im_end|>", "look", True, None, "x"),
        # the thought is opaque: tags mentioned while reasoning are not blocks
        ("<think>maybe <action>a</action>?</think><action>b</action>", "b", True, None, "maybe <action>a</action>?"),
        ("<think>x</think><action>a</action><action>b</action>", "b", False, "2 <action> blocks; expected exactly one", "x"),
        ("<action>look</action>", "look", False, "no <think>...</think> block", None),
        ("<think>x</think>", "", False, "no <action>...</action> block", "x"),
        ("", "", False, "no <action>...</action> block", None),
        ("   \n\t ", "", False, "no <action>...</action> block", None),
        ("just go north", "", False, "no <action>...</action> block", None),
        ("<think>x</think><action>  \n </action>", "", False, "empty action", "x"),
        ("<think>x</think><action>look", "look", False, "unclosed <action>", "x"),
        ("<think>x <action>look</action>", "look", False, "unclosed <think>", "x <action>look</action>"),
        ("<think>x</think><action><action>look</action></action>", "look", False, "<action> inside <action>", "x"),
        ("<think>x</think><action>a <think>y</think> b</action>", "a y b", False, "<think> inside <action>", "x"),
        ("</action><think>x</think><action>look</action>", "look", False, "stray </action>", "x"),
        ("<action>look</action><think>x</think>", "look", False, "<think> must come before <action>", "x"),
        ("<think>x</think><think>y</think><action>a</action>", "a", False, "2 <think> blocks; expected exactly one", "x"),
        ("< action>look</ action>", "", False, "no <action>...</action> block", None),
    ],
)
def test_rules(text, action, valid, error, think):
    assert parse_action(text) == ParsedAction(action, valid, error, think)


def test_think_optional_when_not_required():
    assert parse_action("<action>look</action>", config=NO_THINK) == ParsedAction("look", True, None, None)
    assert parse_action("<think>t</think><action>look</action>", config=NO_THINK).think == "t"
    # structure is still checked
    assert not parse_action("<action>a</action><action>b</action>", config=NO_THINK).valid_format


def test_action_length_limit():
    config = ParserConfig(max_action_chars=10)
    ok = parse_action("<think>x</think><action>0123456789</action>", config=config)
    assert ok.valid_format and ok.action == "0123456789"
    long = parse_action("<think>x</think><action>0123456789abc</action>", config=config)
    assert long == ParsedAction("0123456789", False, "action longer than 10 characters", "x")


def test_admissible_actions_give_the_environment_spelling():
    admissible = ["go to desk 1", "Take Apple 1 from Fridge 1"]
    parsed = parse_action("<think>x</think><action>take  apple 1 FROM fridge 1</action>", admissible)
    assert parsed == ParsedAction("Take Apple 1 from Fridge 1", True, None, "x")
    # an inadmissible action is not a format error: the environment judges it
    other = parse_action("<think>x</think><action>dance</action>", admissible)
    assert other == ParsedAction("dance", True, None, "x")
    assert parse_action("<think>x</think><action>Go to desk 1</action>", []).action == "Go to desk 1"


def test_bad_arguments():
    with pytest.raises(TypeError, match="must be a str"):
        parse_action(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a str"):
        parse_action(b"<action>x</action>")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ParserConfig(max_action_chars=0)


def test_normalize_action():
    assert normalize_action("  a\n\tb \u00a0 c\u3000 ") == "a b c"
    assert normalize_action("") == ""


# --- fuzzing (seeded; hypothesis is not a dependency) ------------------------------------------

FRAGMENTS = [
    "<think>", "</think>", "<action>", "</action>", "<THINK>", "</Action>", "<ACTION>", "<aCtIoN>",
    "<", ">", "/", "</", "< action>", "<action", "action>", "<<action>>", "<think/>", "<action/>",
    " ", "\n", "\t", "\r\n", "\x00", "\u200b", "\ufeff", "\ud800", "\U0001f600", "İ", "\u212a",
    "go to desk 1", "take apple", "é", "日本", "\\", "'", '"', "```", "<|im_end|>",
]


def random_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 40)):
        if rng.random() < 0.7:
            parts.append(rng.choice(FRAGMENTS))
        else:
            parts.append("".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(1, 8))))
    return "".join(parts)


def check_invariants(text: str, parsed: ParsedAction, config: ParserConfig) -> None:
    assert isinstance(parsed.action, str)
    assert len(parsed.action) <= config.max_action_chars
    assert parsed.action == parsed.action.strip()
    assert "<action>" not in parsed.action.lower() and "</action>" not in parsed.action.lower()
    assert parsed.valid_format == (parsed.error is None)
    assert parsed.error is None or isinstance(parsed.error, str)
    assert parsed.think is None or isinstance(parsed.think, str)
    if parsed.valid_format:
        assert parsed.action
        assert text.lower().count("<action>") >= 1


def test_fuzz_random_text_never_breaks_the_parser():
    rng = random.Random(1234)
    for config in (ParserConfig(), NO_THINK, ParserConfig(max_action_chars=5)):
        for _ in range(3000):
            text = random_text(rng)
            parsed = parse_action(text, config=config)
            check_invariants(text, parsed, config)
            assert parse_action(text, config=config) == parsed  # deterministic


def tagless(rng: random.Random, n: int) -> str:
    text = "".join(rng.choice(FRAGMENTS[18:]) for _ in range(n))
    return text.replace("<", "")  # no tag can form


def test_fuzz_well_formed_replies_parse_exactly():
    rng = random.Random(99)
    checked = 0
    for _ in range(2000):
        thought, command = tagless(rng, rng.randint(0, 10)), tagless(rng, rng.randint(1, 6))
        if not normalize_action(command):
            continue
        think_tag = rng.choice(["think", "THINK", "Think"])
        action_tag = rng.choice(["action", "ACTION", "Action"])
        text = (
            tagless(rng, rng.randint(0, 3))
            + f"<{think_tag}>{thought}</{think_tag}>"
            + tagless(rng, rng.randint(0, 3)).replace("/", "")
            + f"<{action_tag}>{command}</{action_tag}>"
            + tagless(rng, rng.randint(0, 3))
        )
        parsed = parse_action(text)
        expected = normalize_action(command)
        if len(expected) > ParserConfig().max_action_chars:
            continue
        assert parsed == ParsedAction(expected, True, None, thought.strip()), text
        checked += 1
    assert checked > 1000


# --- pathological sizes ------------------------------------------------------------------------

MB = 1_000_000


@pytest.mark.parametrize(
    "text",
    [
        "a" * MB,
        "<" * MB,
        "<action>" * (MB // 8),
        "</action>" * (MB // 9),
        "<think>" * (MB // 7),
        "<action" * (MB // 7),
        "<think>" + "x" * MB,
        "<think>x</think><action>" + "go " * (MB // 3),
        "<think>x</think><action>" + "a" * MB + "</action>",
        "<think>x</think>" + "<action>a</action>" * (MB // 18),
        ("<think>" + "</think>" + "<action>" + "</action>") * (MB // 32),
        "\U0001f600" * MB,
        " \n" * (MB // 2),
    ],
    ids=lambda t: repr(t[:12]),
)
def test_one_megabyte_inputs_finish_quickly(text):
    start = time.perf_counter()
    parsed = parse_action(text)
    elapsed = time.perf_counter() - start
    check_invariants(text, parsed, ParserConfig())
    # Not a speed target (that would be a benchmark): catastrophic regex backtracking on 1 MB takes
    # hours, a linear parse milliseconds, so a minute tells the two apart on any machine.
    assert elapsed < 60.0, f"took {elapsed:.2f}s: the parser backtracks"


def test_huge_action_is_cut_and_invalid():
    parsed = parse_action("<think>x</think><action>" + "a" * MB + "</action>")
    assert parsed.action == "a" * 256 and not parsed.valid_format
    assert parsed.error == "action longer than 256 characters"


def test_many_action_blocks_last_wins():
    text = "<think>x</think>" + "".join(f"<action>a{i}</action>" for i in range(10_000))
    parsed = parse_action(text)
    assert parsed.action == "a9999" and parsed.error == "10000 <action> blocks; expected exactly one"
