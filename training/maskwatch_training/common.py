"""Small shared helpers: seeding, threads, logging, paths."""
from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / "training" / ".cache"
MODELS = REPO / "models"
_T0 = time.time()


def setup(seed: int, threads: int = 2) -> None:
    """Seed every RNG and cap threads (the machine's 2 cores are shared with other work)."""
    torch.set_num_threads(threads)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    CACHE.mkdir(parents=True, exist_ok=True)
    MODELS.mkdir(parents=True, exist_ok=True)


def log(msg: str) -> None:
    line = f"[{time.strftime('%H:%M:%S')} +{time.time() - _T0:6.0f}s] {msg}"
    print(line, flush=True)
    with open(CACHE / "train.log", "a") as f:
        f.write(line + "\n")
