"""What `agora train` and `agora eval` do, kept apart from argument parsing."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

import envs
from training.config import DEFAULT_CONFIG, eval_rollout, load_config, runs_env_kwargs
from training.evaluation import evaluate, trajectory_file, write_summary
from training.recipe import check_resume, record_changes
from training.records import write_jsonl
from training.run_dir import claim_eval_folder, claim_run_folder


def limit_threads() -> None:
    """One torch thread unless OMP_NUM_THREADS says otherwise: the tiny policy's small matrices run
    fastest on one, and two threads competing with env stepping on a 2-core machine ran 10-100x slower."""
    keep_freed_memory()
    if "OMP_NUM_THREADS" not in os.environ:
        import torch

        torch.set_num_threads(1)


def keep_freed_memory() -> None:
    """Let glibc reuse freed blocks instead of returning every large tensor to the kernel.

    By default each tensor over 128 kB-32 MB is its own mmap, so every forward pass pays page
    faults for zeroed pages: a third of the tiny policy's update time went to the kernel. Other
    C libraries (musl, macOS) are left alone.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)  # glibc's ceiling for this setting
    libc.mallopt(m_trim_threshold, 1024 * 1024 * 1024)


def train_command(
    config_path: str | None, overrides: list[str], resume: str | None, overwrite: bool = False,
    allow_recipe_change: bool = False, init_from: str | None = None,
) -> int:
    limit_threads()
    from training import checkpoint
    if resume is not None and overwrite:
        raise ValueError("--resume continues a run and --overwrite replaces one: give one of them")
    if resume is None and allow_recipe_change:
        raise ValueError("--allow-recipe-change applies to --resume only")
    if resume is not None and init_from is not None:
        raise ValueError("--init-from starts a new run from saved weights and --resume continues one: give one of them")
    if init_from is not None:
        overrides = [*overrides, f"train.init_from={init_from}"]
    if resume is not None:
        saved = Path(resume) / "config.yaml"
        if not saved.is_file():
            raise FileNotFoundError(f"{resume} is not a training run folder (no config.yaml)")
        if (Path(resume) / "sft.json").is_file():
            raise ValueError(f"{resume} was written by `agora sft`: start RL from it with --init-from {resume}")
        config = load_config(config_path or saved, overrides)
        check_env_settings(config, overrides, config_path or saved)
        diff = check_resume(load_config(saved), config, allow_recipe_change)
        done = checkpoint.saved_update(resume)
        if done >= config.train.updates:
            print(f"agora: {resume} has finished its {done} updates (train.updates={config.train.updates}): "
                  "nothing to do; raise train.updates to train further", file=sys.stderr)
            return 0
        config.train.output_dir = str(resume)
        trainer = new_trainer(config, output_dir=resume)
        trainer.resume(resume)
        if diff:
            record_changes(resume, trainer.update, diff)
        print(f"agora: resuming {resume} after update {trainer.update}", file=sys.stderr)
    else:
        config = load_config(config_path, overrides)
        check_env_settings(config, overrides, config_path or DEFAULT_CONFIG)
        check_policy_model(config)
        check_init_from(config)
        claim_run_folder(config.train.output_dir, overwrite)
        trainer = new_trainer(config)
    what = "a team" if config.team is not None else config.policy.backend
    print(f"agora: training {what} on {config.env} -> {trainer.out}", file=sys.stderr)
    try:
        trainer.run()
    finally:
        trainer.close()  # Ray env actors end with the run, however it ends
        trainer.agent.close()  # a vLLM rollout engine ends with the run, however it ends
    print(f"agora: metrics in {trainer.out / 'metrics.jsonl'}, curve in {trainer.out / 'learning_curve.png'}")
    if trainer.stopped_by is not None:  # the shell's convention for a run a signal ended: 128 + signal
        return 128 + int(getattr(signal, trainer.stopped_by))
    return 0


def new_trainer(config, output_dir=None):
    """The trainer a config asks for: a team's (training.team_trainer), HILA's dual loop
    (``trainer: hila``, training.hila_trainer) or one policy's. ``train.init_from`` weights are
    loaded before the trainer is built: its KL reference copies them."""
    if config.team is not None:
        from training.team_trainer import TeamTrainer

        return TeamTrainer(config, output_dir=output_dir)
    from training import checkpoint
    from training.agent_factory import build_trainable

    agent = build_trainable(config)
    if config.train.init_from is not None and output_dir is None:  # a resume loads its own weights
        agent.load_state_dict(checkpoint.load(config.train.init_from)[0])
    if config.trainer == "hila":
        from training.hila_trainer import HilaTrainer

        return HilaTrainer(config, agent, output_dir=output_dir)
    from training.trainer import Trainer

    return Trainer(config, agent, output_dir=output_dir)


def check_env_settings(config, overrides: list[str], source) -> None:
    """The env and its splits exist, checked now rather than at the first evaluation, with where
    the bad value came from."""
    def origin(key: str) -> str:
        given = any(o.split("=", 1)[0].strip() == key for o in overrides)
        return "from the command line" if given else f"from {source}"

    try:
        spec = envs.spec(config.env)
    except KeyError as err:
        raise ValueError(f"env={config.env!r} ({origin('env')}): {err.args[0]}") from None
    for key, split in (("rollout.split", config.rollout.split), ("train.eval_split", config.train.eval_split)):
        if spec.splits and split not in spec.splits:
            raise ValueError(f"{key}={split!r} ({origin(key)}): {spec.id} has splits {', '.join(spec.splits)}")


def check_policy_model(config) -> None:
    """An LLM checkpoint that is not there fails now, in one line, not after the run folder is set up."""
    from training.eval_args import check_model_dir

    if config.policy.backend in ("hf", "vllm") and config.policy.model not in (None, "default"):
        check_model_dir(config.policy.model, f"policy.model={config.policy.model}")


def check_init_from(config) -> None:
    """``train.init_from`` is a run folder whose policy has the same weights' layout as this one."""
    from training import checkpoint

    source = config.train.init_from
    if source is None:
        return
    checkpoint.find(source)  # a FileNotFoundError that says what it looked for
    saved = Path(source) / "config.yaml"
    if not saved.is_file():
        raise ValueError(f"train.init_from={source}: not a run folder (no config.yaml)")
    mine, theirs = config.policy, load_config(saved).policy
    tiny = mine.backend == "tiny"
    if tiny != (theirs.backend == "tiny"):
        raise ValueError(f"train.init_from={source}: a policy.backend={theirs.backend} run cannot start a {mine.backend} one")
    for key in ("tiny",) if tiny else ("model", "lora"):  # what the saved tensors' names and shapes depend on
        if getattr(mine, key) != getattr(theirs, key):
            raise ValueError(f"train.init_from={source}: its policy.{key}={getattr(theirs, key)} does not fit "
                             f"this run's policy.{key}={getattr(mine, key)}")


def api_key_env(args) -> str | None:
    """The variable the openai policy reads its key from: the one named, else OPENAI_API_KEY when
    set, else none (a local server needs no key; one that does answers 401, said in one line)."""
    if args.api_key_env is not None:
        return args.api_key_env
    return "OPENAI_API_KEY" if os.environ.get("OPENAI_API_KEY") else None


def eval_command(args) -> int:
    from tqdm import tqdm

    from training.agent_factory import build_agent, trained_run
    from training.eval_args import plan_eval

    env_id, split, rows = plan_eval(args)  # every argument checked before the first episode
    # A training run is played as its own evaluation during training played it: its env settings
    # (shared by every policy of this comparison) and its turn cap, memory window and reply length.
    runs = [trained_run(row.model) for row in rows]
    env_kwargs = runs_env_kwargs(env_id, [run for run in runs if run is not None])
    out = claim_eval_folder(args.out or Path("runs") / "eval" / env_id.replace("/", "_"), args.overwrite)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    limit_threads()
    summaries = []
    try:
        for index, (row, run) in enumerate(zip(rows, runs)):
            config = eval_rollout(
                run, max_turns=args.max_turns, memory_k=args.memory_k, temperature=args.temperature,
                max_tokens=args.max_tokens,
            )
            options = {"base_url": args.base_url, "api_key_env": api_key_env(args)} if row.policy == "openai" else {}
            trajectories = out / trajectory_file(index, row.label)  # appended to as batches finish
            agent = build_agent(row.policy, model=row.model, **options)
            try:
                with tqdm(total=args.episodes * len(args.seeds), desc=f"eval {row.label}", unit="ep", file=sys.stderr) as bar:
                    summary, _ = evaluate(
                        env_id, agent, row.policy, split, args.episodes, seeds=args.seeds, rollout_config=config,
                        on_episode=bar.update, env_kwargs=env_kwargs,
                        on_records=lambda played: write_jsonl(trajectories, played, append=True),
                    )
            finally:
                agent.close()
            summaries.append(replace(summary, label=row.label, model=row.model, trajectories=trajectories.name))
            write_summary(out, summaries)  # after every row: a later failure keeps what was played
    except BaseException:
        if any(out.glob("trajectories_*.jsonl")):
            print(f"agora: the evaluation stopped early; what was played is in {out}", file=sys.stderr)
        elif created:
            out.rmdir()  # nothing was played: leave no empty result folder to refuse next time
        raise
    print(f"{env_id}  split={split}  episodes per policy={args.episodes * len(args.seeds)}  (95% CI)")
    for s in summaries:
        print(s.table_row())
        for task_type, est in s.by_type.items():
            print(f"    {task_type:<34} {est}")
        for role, stats in s.by_role.items():
            print(f"    role {role:<29} {stats}")
    print(f"trajectories, summary.json and summary.png in {out}")
    return 0
