"""`agora serve shop`: routes, escaping and replay over HTTP, and a purchase in a real headless Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from envs.shop.catalogue import build_catalogue
from envs.shop.pages import Element
from envs.shop.queries import query_candidates
from envs.shop.server import load_replay, make_server, render_elements
from training.cli import main as agora

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@pytest.fixture
def server(tmp_path):
    replay = tmp_path / "trajectories.jsonl"
    rows = [
        {"episode_id": "e1", "agent_id": 0, "group_id": "test-0", "turn": t, "obs": obs, "action": act, "reward": r,
         "action_valid": True}
        for t, (obs, act, r) in enumerate([("WebShop <b>page</b>", "search[<script>x</script>]", 0.0), ("Results", "click[buy now]", 0.75)])
    ]
    replay.write_text("".join(json.dumps(row) + "\n" for row in reversed(rows)))
    srv = make_server(port=0, replay=str(replay))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def get(url: str, data: dict | None = None) -> tuple[int, str, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with urllib.request.urlopen(url, data=body) as r:
            return r.status, r.url, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, url, err.read().decode()


def test_every_text_is_escaped():
    html = render_elements(
        [Element("text", "<script>alert(1)</script>"), Element("button", 'Say "hi" & <b>bye</b>')], "item", "/s/x"
    )
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'value="click[say &quot;hi&quot; &amp; &lt;b&gt;bye&lt;/b&gt;]"' in html


def test_a_game_over_http_and_no_route_outside_the_app(server):
    status, url, html = get(server + "/new?split=test&index=0")
    goal = build_catalogue(1_000).goal("test", 0)
    assert status == 200 and "/s/" in url and goal.instruction in html
    status, _, html = get(url, {"query": "<script>window.pwned=1</script> coffee table"})
    assert status == 200 and "<script>" not in html and "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html
    status, _, html = get(url, {"action": "click[nothing here]"})
    assert status == 200 and 'id="message"' in html and "not on this page" in html
    for path in ("/../../etc/passwd", "/style.css/../../etc/passwd", "/s/../etc/passwd", "/s/unknownsession1", "/static/x"):
        assert get(server + path)[0] == 404, path
    assert get(server + "/new?split=dev&index=0")[0] == 400
    assert get(server + "/new?split=test&index=999999")[0] == 400
    for _ in range(20):  # past the 15-step limit the game says it is over
        status, _, html = get(url, {"action": "click[next >]"})
    assert status == 200 and "The game is over" in html and "Step 15 of 15 (out of steps)" in html
    status, _, css = get(server + "/style.css")
    assert status == 200 and "body" in css
    other = get(server + "/")[1]
    assert other != url  # every tab that opens / gets its own game


def test_replay_shows_an_eval_file_step_by_step(server):
    status, _, html = get(server + "/replay")
    assert status == 200 and "episode 0" in html and "reward 0.75" in html
    _, _, html = get(server + "/replay/0")
    assert "WebShop &lt;b&gt;page&lt;/b&gt;" in html and "search[&lt;script&gt;x&lt;/script&gt;]" in html
    _, _, html = get(server + "/replay/0?step=1")
    assert "click[buy now]" in html and "step 2 of 2" in html
    assert get(server + "/replay/7")[0] == 404


def test_bad_replay_files_and_ports_are_clear_errors(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"not": "a row"}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1 is not a trajectory row"):
        load_replay(str(bad))
    assert agora(["serve", "shop", "--replay", str(tmp_path / "missing.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert agora(["serve", "shop", "--port", "70000"]) == 2
    assert "port must be in 0..65535" in capsys.readouterr().err


def test_the_server_does_not_import_torch():
    code = "import sys, envs.shop.server; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_purchase_in_headless_chromium(server):
    """A person's purchase, end to end in a real browser: search, open the target, choose, buy."""
    assert shutil.which(CHROMIUM), "make install-dev installs Debian's chromium"
    from playwright.sync_api import sync_playwright

    goal = build_catalogue(1_000).goal("test", 0)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.goto(server + "/new?split=test&index=0")
            assert goal.instruction in tab.inner_text("#instruction")
            tab.fill("#search", query_candidates(goal.instruction)[0])
            tab.click("button:text-is('Search')")
            tab.click(f"button.link:text-is('{goal.asin}')")
            for _, value in goal.chosen:
                tab.click(f"button:text-is('{value}')")
                assert tab.locator(f"button.chosen:text-is('{value}')").count() == 1
            tab.click("button:text-is('Buy Now')")
            assert tab.inner_text("#score") == "1.0"
            # A second tab plays its own game; a query is shown as text, never run.
            other = browser.new_page()
            other.goto(server + "/new?split=test&index=1")
            other.fill("#search", "<img src=x onerror=window.pwned=1>")
            other.click("button:text-is('Search')")
            assert other.evaluate("window.pwned") is None and "<img src=x" in other.inner_text("body")
            assert tab.inner_text("#score") == "1.0"
        finally:
            browser.close()
