"""Turn a prompt (messages, text or token ids) into the token ids a token backend feeds its model.

Both token backends use this one function with the model's own Hugging Face tokenizer, so the
same prompt gives the same ``prompt_ids`` whether it is sampled by ``hf`` or ``vllm``.
"""

from __future__ import annotations

from agents.backends.base import Prompt, as_messages, is_token_prompt


def encode_prompt(tokenizer, prompt: Prompt) -> list[int]:
    """Chat messages go through the chat template with an assistant turn opened; a ``str`` is one
    user message (raw text when the tokenizer has no chat template); token ids pass through."""
    if is_token_prompt(prompt):
        vocab = len(tokenizer)
        bad = [t for t in prompt if t >= vocab]
        if bad:
            raise ValueError(f"token ids {bad[:5]} are outside the vocabulary (size {vocab})")
        return list(prompt)
    if not getattr(tokenizer, "chat_template", None):
        if isinstance(prompt, str):
            return tokenizer(prompt).input_ids
        raise ValueError(
            "this tokenizer has no chat template, so chat messages cannot be formatted; "
            "pass plain text or token ids instead"
        )
    text = tokenizer.apply_chat_template(as_messages(prompt), tokenize=False, add_generation_prompt=True)
    # The template already wrote every special token it wants (BOS included).
    return tokenizer(text, add_special_tokens=False).input_ids


def stop_token_ids(tokenizer, generation_config=None) -> list[int]:
    """Token ids that end the assistant's turn: the tokenizer's EOS plus the checkpoint's
    generation-config EOS ids (chat models often list several)."""
    ids = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    eos = getattr(generation_config, "eos_token_id", None)
    if eos is not None:
        ids.update(int(t) for t in (eos if isinstance(eos, (list, tuple)) else [eos]))
    if not ids:
        raise ValueError("the tokenizer defines no end-of-sequence token; generation could not stop")
    return sorted(ids)
