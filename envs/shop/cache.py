"""A disk cache for large catalogues (10k products and up), so a 100k shop starts in seconds.

The catalogue and its BM25 index are pickled to ``$AGORA_CACHE/shop/`` (default
``~/.cache/agora/shop/``) under a name holding the size, the seed and a hash of the modules that
generate them, so editing the vocabulary or the generator never loads a stale catalogue. Set
``AGORA_CACHE=off`` to always generate. A cache that cannot be read or written is skipped
(generated again), never an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

MIN_SIZE = 10_000  # smaller catalogues generate in well under a second
_SOURCES = ("vocabulary.py", "catalogue.py", "search.py", "reward.py")


def _code_version() -> str:
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:12]


def cache_path(size: int, seed: int) -> Path | None:
    root = os.environ.get("AGORA_CACHE", str(Path.home() / ".cache" / "agora"))
    if size < MIN_SIZE or root.lower() == "off":
        return None
    return Path(root) / "shop" / f"catalogue-{size}-seed{seed}-{_code_version()}.pkl"


def load(path: Path):
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def save(path: Path, catalogue) -> None:
    """Write atomically (a temporary file renamed into place), so a reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as f:
            pickle.dump(catalogue, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(f.name, path)
    except OSError:
        pass
