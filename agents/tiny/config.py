"""The tiny policy's settings: its network size and what it reads of each decision.

The one schema for them: ``TinyAgent`` takes it, checkpoints store it, and ``agora train`` reads
it from the ``policy.tiny`` section. Torch-free, so loading a config does not import torch.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TinyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    vocab_size: int = Field(8192, ge=64, description="embedding rows; hashed word ids are folded into them")
    dim: int = Field(64, ge=4, description="embedding width")
    hidden: int = Field(128, ge=4, description="MLP width")
    max_words: int = Field(256, ge=1, description="words kept per text (task, observation, action)")
    memory_obs_k: int = Field(2, ge=0, description="remembered observations the network reads (most recent)")
    memory_act_k: int | None = Field(
        None, ge=0, description="remembered actions the network reads (most recent); null = all the rollout gives"
    )
    novelty_prior: float = Field(
        0.0, ge=0, description="> 0: the untrained policy avoids repeating actions (see agents.tiny.model)"
    )
