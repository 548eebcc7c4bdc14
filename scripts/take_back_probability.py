"""How a tiny-policy checkpoint plays two-object household tasks: after each step that put a goal
object into a receptacle of the target type, the probability it gives to taking that object
straight back out; and how many sampled episodes get to hold a second goal object, and win.

    python scripts/take_back_probability.py runs/household-tiny/checkpoints/update_000030

Episodes are training tasks drawn by seed (0..n-1), sampled at temperature 1 with milestone
shaping (whose +0.1 / -0.1 steps mark the subgoals), the policy's memory window 50.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

import envs
from agents.agent import Decision
from agents.tiny.agent import batch_tensors
from training.agent_factory import load_tiny


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", help="a training run folder or one of its checkpoints")
    parser.add_argument("--episodes", type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)
    agent = load_tiny(args.checkpoint)
    env = envs.make("agora/Household-v0", task_types="pick_two_obj_and_place", shaped_reward=True)
    rng = np.random.default_rng(0)
    take_back, second, won = [], 0, 0
    for episode in range(args.episodes):
        obs, info = env.reset(seed=episode, options={"split": "train"})
        memory, reward, bonuses = [], 0.0, 0
        for turn in range(50):
            actions = info["admissible_actions"]
            decision = Decision(info["task"], obs, actions, memory[-50:], turn=turn, max_turns=50)
            with torch.no_grad():
                probs = torch.softmax(agent.model(*batch_tensors(*agent.encode([decision])))[0], -1).numpy()
            if memory and memory[-1][1].startswith("move") and reward > 0:  # just put a goal object in place
                back = memory[-1][1].replace("move", "take", 1).replace(" to ", " from ", 1)
                take_back.append(float(probs[actions.index(back)]))
            action = actions[rng.choice(len(actions), p=probs / probs.sum())]
            memory.append((obs, action))
            obs, reward, terminated, truncated, info = env.step(action)
            bonuses += 0 < reward < 1
            if terminated or truncated:
                break
        second += bonuses >= 3  # holding, first placed, holding a second
        won += bool(info["won"])
    mean = f"{np.mean(take_back):.4f}" if take_back else "-"
    print(f"{args.checkpoint}: P(take back) {mean} over {len(take_back)} placements; "
          f"{second} of {args.episodes} episodes held a second goal object, {won} won")


if __name__ == "__main__":
    main()
