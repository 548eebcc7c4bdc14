"""``TrainableLLMAgent``: a Hugging Face causal LM, optionally with LoRA, that the trainer updates.

Rollouts come from one of two samplers:

    hf    an :class:`HFBackend` that shares the trained model object: an optimizer step is
          visible to the next rollout at once, nothing is copied.
    vllm  a :class:`VLLMBackend` engine with its own copy of the weights: after every update
          (and after loading a checkpoint) the full weights, LoRA folded in, are written to a
          temporary directory and reloaded by the engine (``after_update``).

Either sampler can run on a Ray actor instead (``sample_on`` a
:class:`~agents.backends.ray_engine.RemoteBackend`, ``ray.engine_actor``): then ``after_update``
sends the new weights to it as tensors through Ray (``engine_weights``).

``token_scores`` recomputes the log-prob and entropy of every stored response token with
gradients, at the rollout's temperature and top-p, so the PPO ratio compares the distribution
the tokens were drawn from with its update. Greedy rollouts (T=0) have no sampling distribution
to match; they are scored at T=1, top-p 1 (the log-probs greedy decoding reports).

Precision: with LoRA on a bf16 device the frozen base is stored in bf16 and the adapters in
float32 (peft's default), so sampler and trainer run the same numbers. Full fine-tuning keeps
float32 weights (bf16 weights would swallow updates at RL learning rates) and scores under bf16
autocast when bf16 is on; the ``hf`` sampler then runs in float32. Full fine-tuning with a
``vllm`` sampler freezes a tied input/output embedding (see ``__init__``).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import shutil
import tempfile
import zlib
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from agents.agent import Decision, TokenScores, TrainableAgent, candidate_index
from agents.backends.chat import encode_prompt
from agents.backends.hf import HFBackend, response_logprobs
from agents.backends.ray_engine import EngineSpec, RemoteBackend
from agents.llm.agent import LLMAgent
from agents.llm.candidate_head import HEAD, candidate_policy, candidate_replies
from agents.llm.lora import LoraConfig, as_lora_config
from agents.llm.weights import merged_checkpoint_tensors, save_merged
from agents.models import default_model_path, resolve_model_path
from agents.parsing import parse_action
from agents.backends.base import Generation, SamplingConfig

def expert_reply(action: str, require_think: bool) -> str:
    """The reply text that takes ``action`` in the rollout's response format (guided rollouts)."""
    think = f"<think>I will {action}.</think>\n" if require_think else ""
    return f"{think}<action>{action}</action>"


def pick_device(device: str | torch.device | None) -> torch.device:
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {str(device)!r} asked for, but torch sees no CUDA GPU (use 'cpu' or 'auto')")
    return device


class TrainableLLMAgent(LLMAgent, TrainableAgent):
    """``model``: ``None``/``"default"`` (embedded SmolLM2-135M-Instruct) or a local checkpoint.

    ``lora``: a :class:`~agents.llm.lora.LoraConfig` (or a dict of its fields), ``None`` for full fine-tuning.
    ``temperature``/``top_p``/``max_tokens``: the rollout sampling, also used for scoring.
    ``bf16``: ``None`` = on when training on a GPU. ``gradient_checkpointing``: ``None`` = on, on
    any device: backprop through long multi-turn prompts otherwise keeps every layer's activations
    (SmolLM2 on the CPU: 15.5 GB for 12 household rows, 5.8 GB with it, for 7% more update time;
    the gradients are bitwise the same; docs/benchmarks.md).
    ``micro_batch_size``: rows per forward pass in ``token_scores``; bounds memory when scoring
    a whole batch without gradients (with gradients, the trainer's ``grad_accum`` does).
    ``vllm_options`` go to :class:`VLLMBackend` (``gpu_memory_utilization``, ``max_model_len``, ...).
    ``action_head``: ``"generate"`` (free replies, parsed) or ``"score_candidates"`` (a softmax over
    the admissible actions, :mod:`agents.llm.candidate_head`; it runs on this model, never on vLLM).
    ``local_engine=False``: start no in-process vLLM engine (the trainer hands the agent one on a Ray
    actor with ``sample_on``; until then the ``hf`` sampler on this model samples).
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        lora: LoraConfig | dict | None = None,
        rollout_backend: str = "hf",
        require_think: bool = True,
        temperature: float = 1.0,
        top_p: float = 1.0,
        max_tokens: int = 256,
        device: str | torch.device | None = "auto",
        bf16: bool | None = None,
        gradient_checkpointing: bool | None = None,
        micro_batch_size: int = 8,
        seed: int = 0,
        vllm_options: dict | None = None,
        action_head: str = "generate",
        local_engine: bool = True,
    ):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if rollout_backend not in ("hf", "vllm"):
            raise ValueError(f"rollout_backend must be 'hf' or 'vllm', got {rollout_backend!r}")
        if action_head not in ("generate", HEAD):
            raise ValueError(f"action_head must be 'generate' or {HEAD!r}, got {action_head!r}")
        self.action_head = action_head
        if micro_batch_size < 1:
            raise ValueError(f"micro_batch_size must be >= 1, got {micro_batch_size}")
        sampling = SamplingConfig(temperature=temperature, top_p=top_p, max_tokens=max_tokens)
        self.path = resolve_model_path(model)
        self.lora = as_lora_config(lora)
        self.rollout_backend = rollout_backend
        self.micro_batch_size = micro_batch_size
        self.seed, self.vllm_options = seed, dict(vllm_options or {})
        self.device = pick_device(device)
        on_gpu = self.device.type == "cuda"
        self.bf16 = (on_gpu and torch.cuda.is_bf16_supported()) if bf16 is None else bool(bf16)
        # Scoring reproduces the sampling distribution; greedy has none, so score at T=1.
        self.score_temperature = 1.0 if sampling.greedy else sampling.temperature
        self.score_top_p = 1.0 if sampling.greedy else sampling.top_p

        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        self.base_dtype = torch.bfloat16 if (self.bf16 and self.lora) else torch.float32
        net = AutoModelForCausalLM.from_pretrained(self.path, dtype=self.base_dtype)
        net.config.use_cache = False  # scoring needs no KV cache; the hf sampler asks for one explicitly
        if gradient_checkpointing is not False:
            net.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if self.lora:
            from peft import LoraConfig, get_peft_model

            config = LoraConfig(
                r=self.lora.r, lora_alpha=self.lora.alpha, lora_dropout=self.lora.dropout,
                target_modules=list(self.lora.target_modules), task_type="CAUSAL_LM",
            )
            with torch.random.fork_rng(devices=[]):  # adapter init from the seed, on the CPU, any device
                torch.manual_seed(seed)
                net = get_peft_model(net, config)
        elif rollout_backend == "vllm" and getattr(net.config, "tie_word_embeddings", False):
            # vLLM's in-place reload skips a tied output head and keeps its processed (e.g. CPU
            # prepacked) copy, so a changed tied embedding would leave the sampler's head stale.
            net.get_input_embeddings().weight.requires_grad_(False)
        self.model = net.to(self.device).eval()
        pad = self.tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else (self.tokenizer.eos_token_id or 0))
        self.end_id = int(self.tokenizer.eos_token_id)  # what ends a reply the agent did not sample itself

        self._weights_dir = None
        if rollout_backend == "hf" or not local_engine:
            policy = HFBackend(self.model, self.tokenizer)  # the same object: updates are seen at once
        else:
            from agents.backends.vllm_backend import VLLMBackend

            policy = VLLMBackend(self.path, seed=seed, **(vllm_options or {}))
            self._weights_dir = tempfile.mkdtemp(prefix="agora-rollout-weights-")
        super().__init__(policy, require_think=require_think, sampling=sampling)

    @property
    def scores_candidates(self) -> bool:  # the candidate head's shorter prompt (agents.prompting)
        return self.action_head == HEAD

    def __repr__(self) -> str:
        return (f"TrainableLLMAgent(model={str(self.path)!r}, lora={self.lora}, rollout={self.rollout_backend}, "
                f"device={self.device}, bf16={self.bf16})")

    # --- acting -------------------------------------------------------------------------
    def act(self, decisions: Sequence[Decision], sampling: SamplingConfig | None = None) -> list[Generation]:
        if self.action_head != HEAD:
            return super().act(decisions, sampling)
        return self._choose(list(decisions), sampling or self.sampling, None)

    def demonstrate(self, decisions: Sequence[Decision], actions: Sequence[str]) -> list[Generation]:
        """The given ``actions`` (an expert's) rendered as this agent's own replies, exactly as a
        rollout records them: the prompt ids, the reply ids (``<think>..</think><action>..</action>``
        and the end token; the candidate head's chosen candidate with all the candidates), no
        log-probs. Supervised fine-tuning trains on these (training.sft)."""
        rows = list(decisions)
        if len(actions) != len(rows):
            raise ValueError(f"{len(actions)} actions for {len(rows)} decisions")
        prompts = [encode_prompt(self.tokenizer, m) for m in self.prompts(rows)]
        if self.action_head == HEAD:
            return [self._candidate_generation(d, prompt, candidate_index(d, a), None)
                    for d, prompt, a in zip(rows, prompts, actions)]
        out = []
        for d, prompt, action in zip(rows, prompts, actions):
            text = expert_reply(action, self.parser.require_think)
            reply = self.tokenizer(text, add_special_tokens=False).input_ids + [self.end_id]
            parsed = parse_action(text, d.admissible_actions, self.parser)
            out.append(Generation(text, list(prompt), reply, None, "stop",
                                  extra={"action": parsed.action, "format_valid": parsed.valid_format}))
        return out

    def act_as(self, decisions: Sequence[Decision], actions: Sequence[str], sampling: SamplingConfig | None = None) -> list[Generation]:
        """Generations that take the given ``actions`` (a guided rollout's expert steps) as this
        agent's own replies, with their log-probs under the current weights."""
        rows, sampling = list(decisions), sampling or self.sampling
        if self.action_head == HEAD:
            return self._choose(rows, sampling, [candidate_index(d, a) for d, a in zip(rows, actions)])
        gens = self.demonstrate(rows, actions)
        with torch.no_grad(), self._autocast():
            logprobs, _ = response_logprobs(self.model, [g.prompt_ids for g in gens], [g.response_ids for g in gens],
                                            temperature=sampling.temperature, top_p=sampling.top_p, pad_token_id=self.pad_id)
        return [dataclasses.replace(g, logprobs=lp[: len(g.response_ids)]) for g, lp in zip(gens, logprobs.cpu().tolist())]

    def _choose(self, rows: list[Decision], sampling: SamplingConfig, forced: list[int] | None) -> list[Generation]:
        """The candidate head: sample (or take ``forced``) one admissible action per decision."""
        out = []
        for i, (d, messages) in enumerate(zip(rows, self.prompts(rows))):
            if not d.admissible_actions:
                raise ValueError(f"the {HEAD} action head needs admissible actions; this {d.family or 'env'} decision lists none")
            prompt = encode_prompt(self.tokenizer, messages)
            candidates = candidate_replies(self.tokenizer, d.admissible_actions, self.end_id)
            with torch.no_grad(), self._autocast():
                logprobs, _ = candidate_policy(self.model, prompt, candidates, self.pad_id, sampling.temperature, sampling.top_p)
            logprobs = logprobs.cpu()
            if forced is not None:
                choice = forced[i]
            elif sampling.greedy:
                choice = int(logprobs.argmax())
            else:
                # The prompt's ids mixed into the seed: fresh draws each turn from one rollout seed.
                seed = None if sampling.seed is None else zlib.crc32(str(prompt).encode(), sampling.seed & 0xFFFFFFFF)
                generator = torch.Generator().manual_seed(seed) if seed is not None else None
                choice = int(torch.multinomial(logprobs.exp(), 1, generator=generator))
            out.append(self._candidate_generation(d, prompt, choice, float(logprobs[choice]), candidates))
        return out

    def _candidate_generation(self, d: Decision, prompt: list[int], choice: int, logprob: float | None,
                              candidates: list[list[int]] | None = None) -> Generation:
        """The candidate head's record of choosing ``d.admissible_actions[choice]``; ``logprob``:
        its candidate-level log-prob (None for a demonstration, which is not scored)."""
        if candidates is None:
            candidates = candidate_replies(self.tokenizer, d.admissible_actions, self.end_id)
        extra = {"action": d.admissible_actions[choice], "format_valid": True, "action_head": HEAD,
                 "candidate_ids": candidates, "choice": choice}
        if logprob is not None:
            extra["candidate_logprob"] = logprob
        return Generation(text=d.admissible_actions[choice], prompt_ids=list(prompt), response_ids=candidates[choice],
                          logprobs=None, finish_reason="stop", extra=extra)

    # --- learning -----------------------------------------------------------------------
    def _autocast(self):
        if self.bf16 and not self.lora and self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def token_scores(
        self, prompt_ids: Sequence[list[int]], response_ids: Sequence[list[int]], extras: Sequence[dict]
    ) -> TokenScores:
        """Scores padded to the longest response of the call, returned on the CPU (where the
        trainer keeps advantages); gradients flow back to the model on its device."""
        if not len(prompt_ids) == len(response_ids) == len(extras):
            raise ValueError(
                f"need one response and one extra per prompt, got {len(prompt_ids)}, {len(response_ids)}, {len(extras)}"
            )
        heads = [isinstance(e, dict) and e.get("action_head") == HEAD for e in extras]
        tokens = [i for i, h in enumerate(heads) if not h]
        width = max([len(response_ids[i]) for i in tokens] + ([1] if any(heads) else []), default=0)
        rows: list = [None] * len(prompt_ids)  # (logprobs, entropy, mask) of each row, padded to width
        for start in range(0, len(tokens), self.micro_batch_size):
            chunk = tokens[start : start + self.micro_batch_size]
            with self._autocast():
                lp, mask, spread = response_logprobs(
                    self.model, [prompt_ids[i] for i in chunk], [response_ids[i] for i in chunk],
                    temperature=self.score_temperature, top_p=self.score_top_p,
                    pad_token_id=self.pad_id, with_entropy=True,
                )
            pad = (0, width - lp.shape[1])
            for j, i in enumerate(chunk):
                rows[i] = (F.pad(lp[j], pad).cpu(), F.pad(spread[j], pad).cpu(), F.pad(mask[j].float(), pad).cpu())
        for i in (i for i, h in enumerate(heads) if h):
            # One "token" per row: the candidate-level log-prob of the chosen action.
            lp, spread = self.candidate_distribution(prompt_ids[i], extras[i]["candidate_ids"])
            one = torch.zeros(width)
            one[0] = 1.0
            rows[i] = (one * lp[int(extras[i]["choice"])].cpu(), one * spread.cpu(), one)
        if not rows:
            empty = torch.zeros(0, 0)
            return TokenScores(empty, empty, empty)
        return TokenScores(*(torch.stack([r[k] for r in rows]) for k in range(3)))

    def candidate_distribution(self, prompt_ids: Sequence[int], candidate_ids: Sequence[Sequence[int]]):
        """``(logprobs [C], entropy)`` of the candidate head over one decision's candidates, with
        gradients, at the scoring temperature (all of them in one pass: HILA's enumerated groups)."""
        with self._autocast():
            return candidate_policy(self.model, prompt_ids, candidate_ids, self.pad_id, self.score_temperature,
                                    self.score_top_p)

    def trainable_parameters(self) -> list[torch.nn.Parameter]:
        return [p for p in self.model.parameters() if p.requires_grad]

    def _trainable_named(self) -> dict[str, torch.nn.Parameter]:
        return {name: p for name, p in self.model.named_parameters() if p.requires_grad}

    def state_dict(self) -> dict[str, Any]:
        """``{"config": {"lora": ...}, "tensors": {name: tensor}}``: with LoRA only the adapter tensors."""
        tensors = {name: p.detach().to("cpu").clone().contiguous() for name, p in self._trainable_named().items()}
        return {"config": {"lora": self.lora.model_dump() if self.lora else None}, "tensors": tensors}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        lora = as_lora_config((state.get("config") or {}).get("lora"))
        if lora != self.lora:
            raise ValueError(f"checkpoint LoRA settings {lora} differ from this agent's {self.lora}")
        tensors = state["tensors"]
        params = self._trainable_named()
        missing, unexpected = sorted(set(params) - set(tensors)), sorted(set(tensors) - set(params))
        if missing or unexpected:
            raise ValueError(f"checkpoint tensors do not fit this model: missing {missing[:3]}, unexpected {unexpected[:3]}")
        for name, p in params.items():
            if tuple(tensors[name].shape) != tuple(p.shape):
                raise ValueError(f"{name}: checkpoint shape {tuple(tensors[name].shape)}, model shape {tuple(p.shape)}")
        with torch.no_grad():
            for name, p in params.items():
                p.copy_(tensors[name].to(device=p.device, dtype=p.dtype))
        self.after_update()

    def train_mode(self, training: bool) -> None:
        self.model.train(training)

    def engine_spec(self) -> EngineSpec:
        """What an engine actor builds to sample as this agent's ``rollout_backend`` does."""
        path = "default" if self.path == default_model_path() else str(self.path)  # each node has its own copy
        return EngineSpec(self.rollout_backend, path, str(self.base_dtype).removeprefix("torch."),
                          self.lora.model_dump() if self.lora else None, self.seed, torch.get_num_threads(),
                          self.vllm_options)

    def sample_on(self, engine: RemoteBackend) -> None:
        """Sample with ``engine`` (an engine actor built from ``engine_spec``) from now on; it gets
        the current weights now and new ones after every update."""
        self.policy.close()
        self.policy = engine
        self.after_update()

    def engine_weights(self) -> dict[str, torch.Tensor]:
        """The tensors an engine actor needs (CPU): for ``hf`` the trained ones (with LoRA, the
        adapters only); for ``vllm`` the full weights with LoRA folded in."""
        if self.rollout_backend == "vllm":
            return merged_checkpoint_tensors(self.model)
        return self.state_dict()["tensors"]

    def after_update(self) -> None:
        """A sampler with its own weights gets the new ones: an engine actor through Ray, the
        in-process ``vllm`` engine from a directory the merged weights are written to."""
        if isinstance(self.policy, RemoteBackend):
            self.policy.load_weights(self.engine_weights())
            return
        if self.rollout_backend != "vllm" or self._weights_dir is None:
            return
        save_merged(self.model, self._weights_dir)
        self.policy.update_weights(self._weights_dir)

    def __deepcopy__(self, memo):
        """A scoring copy (e.g. the trainer's frozen KL reference): model weights copied, and an
        ``hf`` sampler on the copy instead of a second vLLM engine."""
        clone = type(self).__new__(type(self))
        memo[id(self)] = clone
        for key, value in self.__dict__.items():
            if key not in ("policy", "_weights_dir"):
                setattr(clone, key, copy.deepcopy(value, memo))
        clone.rollout_backend, clone._weights_dir = "hf", None
        clone.policy = HFBackend(clone.model, clone.tokenizer)
        return clone

    def close(self) -> None:
        super().close()
        if self._weights_dir is not None:
            shutil.rmtree(self._weights_dir, ignore_errors=True)
            self._weights_dir = None
