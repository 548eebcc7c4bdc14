import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

# Nothing may reach a model hub at test time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# One torch thread, as the CLI defaults to: on a shared 2-core machine two threads oversubscribe.
os.environ.setdefault("OMP_NUM_THREADS", "1")

# TextWorld games the tests generate go to one cache kept between runs, never to ~/.cache (issue 14).
os.environ.setdefault("AGORA_TEXTWORLD_CACHE", os.path.join(__import__("tempfile").gettempdir(), "agora-tests-textworld"))


@pytest.fixture
def one_torch_thread():
    """The tiny network's ops are too small for intra-op threads: on a busy 2-core machine two
    threads make training 30x slower, so the trainer runs it on one (and so do these tests)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --- ScienceWorld: no Java process started by the tests may outlive the suite (issue 14) ---


@pytest.fixture(scope="session", autouse=True)
def _no_java_process_outlives_the_suite():
    yield
    import gc

    import psutil

    gc.collect()  # envs dropped without close() stop their JVM in a finalizer
    java = []
    for p in psutil.Process().children(recursive=True):
        try:
            if "java" in p.name():
                java.append(p)
                p.kill()
        except psutil.NoSuchProcess:  # it exited while being listed
            pass
    assert not java, f"the tests left {len(java)} Java process(es) running: {[p.pid for p in java]}"
