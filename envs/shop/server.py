"""`agora serve shop`: the shop's pages in a browser, for a person to play or to replay an eval.

    agora serve shop                      # http://127.0.0.1:8000/
    agora serve shop --port 8080 --replay runs/eval/agora_ShopChoice-v0/trajectories_tiny.jsonl

Routes (nothing else is served; no route reads a file):
    GET  /                      a new game (a random training goal) -> /s/<session>
    GET  /new?split=test&index=3  a new game on that goal
    GET  /s/<session>           the game's current page (one game per tab: each tab has its session)
    POST /s/<session>           form field ``action`` (search[...] or click[...]), or ``query`` (a search)
    GET  /replay, /replay/<n>?step=<k>  the episodes of the ``--replay`` file, step by step
    GET  /style.css             the stylesheet (a string in this module)

Pages are the env's own elements (``envs.shop.pages``) as HTML; every text is HTML-escaped.
Standard library only (http.server): no torch, no web framework.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import sys
import threading
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from envs.shop.catalogue import SPLITS
from envs.shop.env import ShopEnv
from envs.shop.pages import Element, format_score

MAX_SESSIONS = 500  # the oldest game is dropped beyond this
MAX_BODY = 10_000
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")
CSS = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222; }
#instruction { background: #f3f6fa; border: 1px solid #cdd; padding: .8em; margin-bottom: 1em; }
form.inline { display: inline; }
button { margin: .15em; padding: .3em .7em; cursor: pointer; }
button.link { background: none; border: none; color: #05c; text-decoration: underline; font-weight: bold; }
button.chosen { background: #2a7; color: white; }
.product { border-bottom: 1px solid #ddd; padding: .4em 0; }
#message { background: #fee; border: 1px solid #e99; padding: .5em; }
#score { font-size: 2em; font-weight: bold; }
pre { white-space: pre-wrap; background: #f7f7f7; padding: .5em; }
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


class ShopApp:
    """The games (one ``ShopEnv`` per session) and the replayed episodes; thread-safe."""

    def __init__(self, env_kwargs: dict | None = None, replay: list[list[dict]] | None = None):
        self.env_kwargs = dict(env_kwargs or {})
        ShopEnv(**self.env_kwargs)  # validate the arguments and build the catalogue before serving
        self.sessions: OrderedDict[str, ShopEnv] = OrderedDict()
        self.replay = replay or []
        self.lock = threading.Lock()

    def new_game(self, split: str | None = None, index: int | None = None) -> str:
        env = ShopEnv(**self.env_kwargs)
        options = {} if split is None else {"split": split, "index": index}
        env.reset(seed=secrets.randbelow(2**31), options=options)
        session = secrets.token_urlsafe(12)
        with self.lock:
            self.sessions[session] = env
            while len(self.sessions) > MAX_SESSIONS:
                self.sessions.popitem(last=False)
        return session

    def act(self, session: str, action: str) -> str:
        """Play ``action``; return the explanation when it was invalid, else ""."""
        with self.lock:
            env = self.sessions[session]
            if env.state.page == "done" or env.steps_taken >= env.max_steps:
                return "The game is over: start a new one."
            obs, *_, info = env.step(action)
        return obs.split(" Nothing changed;")[0] if not info["action_valid"] else ""

    def game_page(self, session: str, message: str = "") -> str:
        with self.lock:
            env = self.sessions[session]
            body = render_elements(env.page_elements(), env.state.page, f"/s/{session}", env.state.query)
            steps = f"Step {env.steps_taken} of {env.max_steps}" + (" (out of steps)" if env.steps_taken >= env.max_steps else "")
        note = f'<div id="message">{esc(message)}</div>' if message else ""
        return page(f"{note}<p id=\"steps\">{esc(steps)} &middot; <a href=\"/\">new game</a></p>{body}")

    def replay_index(self) -> str:
        if not self.replay:
            return page("<p>No replay file was given (agora serve shop --replay FILE).</p>")
        rows = "".join(
            f'<li><a href="/replay/{i}">episode {i}</a>: {esc(ep[0].get("group_id", ""))}, '
            f'reward {esc(format_score(sum(r.get("reward", 0.0) for r in ep)))}</li>'
            for i, ep in enumerate(self.replay)
        )
        return page(f"<h2>Replay</h2><ol start=0>{rows}</ol>")

    def replay_step(self, n: int, k: int) -> str:
        episode = self.replay[n]
        k = min(max(k, 0), len(episode) - 1)
        row = episode[k]
        nav = " ".join(
            f'<a href="/replay/{n}?step={j}">{label}</a>'
            for j, label in ((k - 1, "&larr; previous"), (k + 1, "next &rarr;"))
            if 0 <= j < len(episode)
        )
        return page(
            f'<p><a href="/replay">all episodes</a> &middot; episode {n}, step {k + 1} of {len(episode)} {nav}</p>'
            f'<h3>Observation</h3><pre id="obs">{esc(row.get("obs", ""))}</pre>'
            f'<h3>Action</h3><pre id="action">{esc(row.get("action", ""))}</pre>'
            f'<p>reward {esc(format_score(float(row.get("reward", 0.0))))}, valid {esc(row.get("action_valid", ""))}</p>'
        )


def page(body: str) -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>agora shop</title>'
        f'<link rel="stylesheet" href="/style.css"></head><body><h1>agora shop</h1>{body}</body></html>'
    )


def _button(target: str, action: str, label: str, css: str = "") -> str:
    return (
        f'<form class="inline" method="post" action="{esc(target)}"><input type="hidden" name="action" '
        f'value="{esc(action)}"><button class="{css}" type="submit">{esc(label)}</button></form>'
    )


def render_elements(elements: list[Element], page_kind: str, target: str, query: str = "") -> str:
    """A page's elements as HTML: buttons and options post ``click[...]``, the search box ``query``."""
    out, i = [], 0
    if page_kind == "results":
        out.append(f"<p>Results for <b>{esc(query)}</b></p>")
    while i < len(elements):
        e = elements[i]
        if e.text == "Instruction:" and i + 1 < len(elements):
            out.append(f'<div id="instruction">Instruction:<br><b>{esc(elements[i + 1].text)}</b></div>')
            i += 2
            continue
        if e.kind == "button" and e.action is None:  # the search button: a search form
            out.append(
                f'<form method="post" action="{esc(target)}"><input id="search" name="query" size="60" required>'
                '<button type="submit">Search</button></form>'
            )
        elif e.kind == "button":
            out.append(_button(target, f"click[{e.action}]", e.text))
        elif e.kind == "link":  # an asin, then its title and price
            details = "".join(f"<div>{esc(x.text)}</div>" for x in elements[i + 1 : i + 3])
            out.append(f'<div class="product">{_button(target, f"click[{e.action}]", e.text, "link")}{details}</div>')
            i += 3
            continue
        elif e.kind == "option":
            out.append(_button(target, f"click[{e.action}]", e.text, "chosen" if e.clicked else ""))
        elif e.text.startswith("Your score") and i + 1 < len(elements):
            out.append(f'<p>{esc(e.text)}</p><div id="score">{esc(elements[i + 1].text)}</div>')
            i += 2
            continue
        else:
            out.append(f"<p>{esc(e.text)}</p>")
        i += 1
    return "\n".join(out)


def load_replay(path: str) -> list[list[dict]]:
    """The episodes of an ``agora eval`` trajectory file, each a list of rows ordered by turn."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"replay file {path!r} does not exist")
    episodes: dict[str, list[dict]] = {}
    with file.open() as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                key = f"{row['episode_id']}/{row['agent_id']}"
                int(row["turn"])
            except (ValueError, KeyError, TypeError) as err:
                raise ValueError(f"{path}:{n} is not a trajectory row written by agora eval ({err})") from None
            episodes.setdefault(key, []).append(row)
    if not episodes:
        raise ValueError(f"replay file {path!r} holds no steps")
    return [sorted(rows, key=lambda r: int(r["turn"])) for rows in episodes.values()]


class Handler(BaseHTTPRequestHandler):
    app: ShopApp  # set on the subclass make_server builds

    def log_message(self, format, *args):  # quiet: no line per request
        pass

    def _send(self, status: int, body: str, content_type: str = "text/html; charset=utf-8") -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(data)

    def _redirect(self, location: str) -> None:
        self.send_response(303)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _not_found(self) -> None:
        self._send(404, page("<p>Not found. <a href=\"/\">Start a new game</a>.</p>"))

    def _session(self, path: str) -> str | None:
        parts = path.split("/")
        if len(parts) == 3 and parts[1] == "s" and SESSION_ID.fullmatch(parts[2]) and parts[2] in self.app.sessions:
            return parts[2]
        return None

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        if url.path == "/":
            return self._redirect(f"/s/{self.app.new_game()}")
        if url.path == "/new":
            split, index = query.get("split", ["train"])[0], query.get("index", ["0"])[0]
            if split not in SPLITS or not index.isdigit():
                return self._send(400, page(f"<p>split must be one of {esc(SPLITS)} and index a number.</p>"))
            try:
                return self._redirect(f"/s/{self.app.new_game(split, int(index))}")
            except ValueError as err:
                return self._send(400, page(f"<p>{esc(err)}</p>"))
        if url.path == "/style.css":
            return self._send(200, CSS, "text/css; charset=utf-8")
        if url.path == "/replay":
            return self._send(200, self.app.replay_index())
        match = re.fullmatch(r"/replay/(\d{1,9})", url.path)
        if match and int(match.group(1)) < len(self.app.replay):
            step = query.get("step", ["0"])[0]
            return self._send(200, self.app.replay_step(int(match.group(1)), int(step) if step.isdigit() else 0))
        session = self._session(url.path)
        if session is None:
            return self._not_found()
        self._send(200, self.app.game_page(session))

    def do_POST(self) -> None:
        session = self._session(urlsplit(self.path).path)
        length = int(self.headers.get("Content-Length") or 0)
        if session is None or not 0 <= length <= MAX_BODY:
            return self._not_found()
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        action = form["action"][0] if "action" in form else f"search[{form.get('query', [''])[0]}]"
        message = self.app.act(session, action)
        self._send(200, self.app.game_page(session, message))


def make_server(host: str = "127.0.0.1", port: int = 8000, replay: str | None = None, **env_kwargs) -> ThreadingHTTPServer:
    """A server bound to (host, port) (port 0: any free port); ``serve_forever()`` runs it."""
    if not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be in 0..65535, got {port!r}")
    app = ShopApp(env_kwargs, load_replay(replay) if replay else None)
    handler = type("ShopHandler", (Handler,), {"app": app})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    return server


def serve_command(args) -> int:
    kwargs = {"num_products": args.num_products} if args.num_products else {}
    try:
        server = make_server(args.host, args.port, args.replay, **kwargs)
    except OSError as err:
        raise ValueError(f"cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None
    host, port = server.server_address[:2]
    print(f"agora: serving the shop at http://{host}:{port}/ (replay at /replay). Ctrl-C stops.", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
