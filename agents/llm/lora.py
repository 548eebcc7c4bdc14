"""The LoRA adapter settings: the one schema ``TrainableLLMAgent``, checkpoints and the
``policy.lora`` config section share. Torch-free."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class LoraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    r: int = Field(8, ge=1, description="adapter rank")
    alpha: int = Field(16, ge=1, description="adapter scale numerator: updates are scaled by alpha / r")
    dropout: float = Field(0.05, ge=0, lt=1, description="dropout on the adapters' input")
    target_modules: list[str] = Field(
        ["q_proj", "k_proj", "v_proj", "o_proj"], description="names of the linear layers that get adapters"
    )


def as_lora_config(lora) -> LoraConfig | None:
    """``None`` (full fine-tuning), a :class:`LoraConfig` or a dict of its fields."""
    if lora is None or isinstance(lora, LoraConfig):
        return lora
    if not isinstance(lora, dict):
        raise TypeError(f"LoRA settings must be a LoraConfig or a dict, got {type(lora).__name__}")
    unknown = sorted(set(lora) - set(LoraConfig.model_fields))
    if unknown:
        raise ValueError(f"unknown LoRA settings {unknown}; expected {list(LoraConfig.model_fields)}")
    try:
        return LoraConfig.model_validate(lora)
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in err.errors())
        raise ValueError(f"invalid LoRA settings: {problems}") from None
