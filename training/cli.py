"""The `agora` command line. Subcommands import their heavy modules only when run."""

from __future__ import annotations

import argparse
import os
import sys

from training.recipe import CHANGES_FILE, RESUMABLE


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agora", description="Text environments and RL trainers for LLM agents.")
    sub = parser.add_subparsers(dest="command", required=True)

    envs_cmd = sub.add_parser("envs", help="list and inspect registered environments")
    envs_sub = envs_cmd.add_subparsers(dest="envs_command", required=True)
    envs_sub.add_parser("list", help="every registered id with its family, agents, interface and engine")
    show = envs_sub.add_parser("show", help="spaces, task and a sample transcript of one environment")
    show.add_argument("id")
    show.add_argument("--seed", type=int, default=0)

    play = sub.add_parser("play", help="play an environment yourself in the terminal")
    play.add_argument("id")
    play.add_argument("--seed", type=int, default=0)

    serve = sub.add_parser("serve", help="play in the browser: a local web server (the shop)")
    serve.add_argument("app", choices=["shop"])
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--replay", metavar="JSONL", help="a trajectory file written by `agora eval`, shown at /replay")
    serve.add_argument("--num-products", type=int, default=None, help="catalogue size (default 1000)")

    train = sub.add_parser("train", help="train a policy with RL (no arguments: the tiny policy on household tasks)",
                           epilog="`agora config` lists every key with its type, default and doc.")
    train.add_argument("--config", help="a YAML file or a packaged config name (default: household_tiny)")
    train.add_argument("--resume", metavar="DIR",
                       help="continue the run saved in DIR (also after Ctrl-C, SIGTERM or a kill); key=value "
                            f"may change only {', '.join(RESUMABLE)}")
    train.add_argument("--overwrite", action="store_true",
                       help="clear train.output_dir first if it already holds a run (else that is refused)")
    train.add_argument("--allow-recipe-change", action="store_true",
                       help="with --resume: accept overrides beyond those a resume may change "
                            f"({', '.join(RESUMABLE)}); each change is logged to {CHANGES_FILE}")
    train.add_argument("--init-from", metavar="DIR",
                       help="start from the weights a run folder saved (`agora sft` or `agora train`), same policy setup")
    train.add_argument("overrides", nargs="*", metavar="key=value", help="e.g. rollout.group_size=4 train.updates=20")

    sft = sub.add_parser("sft", help="fine-tune an LLM policy on the env's scripted expert (supervised)",
                         epilog="The config's policy, env and rollout.memory_k/max_turns set the prompts, as in `agora train`.")
    sft.add_argument("--config", help="a YAML file or a packaged config name, as for `agora train` "
                                      "(default: smollm2_candidates_cpu)")
    sft.add_argument("--demos", metavar="JSONL",
                     help="a demonstration cache: read when it exists (rendered for this config), else written")
    sft.add_argument("--episodes", type=int, default=None, help="expert episodes on training tasks (default 50)")
    sft.add_argument("--epochs", type=int, default=2, help="passes over the demonstrations (default 2)")
    sft.add_argument("--batch-size", type=int, default=8, help="demonstration steps per optimizer step (default 8)")
    sft.add_argument("--lr", type=float, default=5e-4, help="AdamW learning rate (default 5e-4)")
    sft.add_argument("--out", default=None, help="the run folder to write (default: train.output_dir + '-sft')")
    sft.add_argument("--overwrite", action="store_true", help="clear --out first if it already holds a run (else refused)")
    sft.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. rollout.memory_k=1")

    cfg = sub.add_parser("config", help="every training config key with its type, default and doc")
    cfg.add_argument("--config", help="also show this file's values (a YAML file or a packaged config name)")
    cfg.add_argument("overrides", nargs="*", metavar="key=value", help="also show these overrides' values")

    ev = sub.add_parser("eval", help="evaluate policies on a fixed task panel, with 95%% confidence intervals")
    ev.add_argument("--env", required=True, help="a registered env id (see `agora envs list`)")
    ev.add_argument("--policy", nargs="+", required=True, help="one or more of: expert random tiny hf vllm openai")
    ev.add_argument("--model", action="extend", nargs="+", default=None, metavar="MODEL",
                    help="the model of each learned policy (tiny hf vllm openai), in policy order: "
                         "--model A B or --model A --model B; a run folder for tiny, a path for LLMs")
    ev.add_argument("--split", default=None, help="task split (default: the env's first held-out split)")
    ev.add_argument("--episodes", type=int, default=50,
                    help="panel tasks per sampling seed: tasks 0..N-1 of the split (at most its size)")
    ev.add_argument("--seeds", type=int, nargs="+", default=[0], help="sampling seeds; each replays the panel")
    ev.add_argument("--temperature", type=float, default=None,
                    help="sampling temperature (default: a training run's train.eval_temperature, else 0 = greedy)")
    ev.add_argument("--max-turns", type=int, default=None,
                    help="a cap on top of the env's own step limit (default: a training run's own, else 1000)")
    ev.add_argument("--max-tokens", type=int, default=None,
                    help="LLM policies: tokens per reply (default: a training run's own, else 256)")
    ev.add_argument("--memory-k", type=int, default=None,
                    help="past (observation, action) pairs in the prompt (default: a training run's own, else 3)")
    ev.add_argument("--out", default=None, help="output folder (default runs/eval/<env>)")
    ev.add_argument("--overwrite", action="store_true",
                    help="clear --out first if it already holds results (else that is refused)")
    ev.add_argument("--base-url", default=None, help="openai policy: the server's base URL")
    ev.add_argument("--api-key-env", default=None,
                    help="openai policy: the variable holding the API key (default: OPENAI_API_KEY when it is "
                         "set, else no key, as a local server needs none)")
    return parser


def main(argv: list[str] | None = None) -> int:
    from training.interrupt import ExitOnTerminate

    args = parse(build_parser(), argv)
    with ExitOnTerminate():
        return run_command(args)


def parse(parser: argparse.ArgumentParser, argv: list[str] | None):
    """Like ``parse_args``, but ``key=value`` overrides may also come after an option
    (``agora train --overwrite a=1``): argparse stops a positional list at the first option."""
    args, extra = parser.parse_known_args(argv)
    stray = [a for a in extra if not ("=" in a and not a.startswith("-"))]
    if stray or (extra and not hasattr(args, "overrides")):
        parser.error(f"unrecognized arguments: {' '.join(stray or extra)}")
    if extra:
        args.overrides = [*(args.overrides or []), *extra]
    return args


def run_command(args) -> int:
    try:
        if args.command == "envs":
            from envs import cli as envs_cli

            if args.envs_command == "list":
                return flushed(envs_cli.list_command())
            return flushed(envs_cli.show_command(args.id, seed=args.seed))
        if args.command == "play":
            from envs import cli as envs_cli

            return envs_cli.play_command(args.id, seed=args.seed)
        if args.command == "serve":
            from envs.shop.server import serve_command

            return serve_command(args)
        if args.command == "train":
            from training.commands import train_command

            return train_command(args.config, args.overrides, args.resume, overwrite=args.overwrite,
                                 allow_recipe_change=args.allow_recipe_change, init_from=args.init_from)
        if args.command == "sft":
            from training.sft import sft_command

            return sft_command(args)
        if args.command == "config":
            from training.config_help import config_command

            return config_command(args.config, args.overrides)
        if args.command == "eval":
            from training.commands import eval_command

            return eval_command(args)
    except KeyError as exc:  # unknown env id: the message already says what to do
        print(f"agora: {exc.args[0]}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, ImportError) as exc:  # bad input: say what, not a traceback
        print(f"agora: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader left (`agora envs show X | head -1`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so exit's flush is quiet
        return 0
    except RuntimeError as exc:
        if not is_setup_error(exc):
            raise
        print(f"agora: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 1


def flushed(code: int) -> int:
    """Flush stdout here, where a reader that closed the pipe is handled, not at interpreter exit."""
    sys.stdout.flush()
    return code


def is_setup_error(exc: BaseException) -> bool:
    """A model that is not there or a server that cannot be reached: the user's setup, not a bug."""
    from agents.backends.openai_backend import EndpointError
    from agents.models import ModelNotAvailableError

    return isinstance(exc, (EndpointError, ModelNotAvailableError))


if __name__ == "__main__":
    sys.exit(main())
