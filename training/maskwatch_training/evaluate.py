"""End-to-end val evaluation along the exact inference path (no caches, no fp16)."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .classifier_model import normalise
from .data import SR_MAX_SIDE, Face, PhotoCache, face_input
from .metrics import classification_report
from .sr_data import to_tensor


def contract_inputs(faces: list[Face]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Contract crops (uint8 NHWC 224), crop sides and labels of the given faces."""
    cache = PhotoCache()
    outs = [face_input(cache, f) for f in faces]
    return (np.stack([o[0] for o in outs]), np.array([o[1] for o in outs]),
            np.array([f.label for f in faces]))


@torch.no_grad()
def pipeline_probs(sr: nn.Module | None, cls: nn.Module, raw: np.ndarray, sides: np.ndarray,
                   batch: int = 32) -> np.ndarray:
    """Probabilities as the Rust pipeline computes them: SR if s <= 150 (sr given), normalise, softmax."""
    sr_eval = sr.eval() if sr is not None else None
    cls.eval()
    probs = []
    for i in range(0, len(raw), batch):
        x = to_tensor(raw[i:i + batch])
        if sr_eval is not None:
            m = torch.from_numpy(sides[i:i + batch] <= SR_MAX_SIDE)
            if m.any():
                x[m] = sr_eval(x[m])
        probs.append(torch.softmax(cls(normalise(x)), 1))
    return torch.cat(probs).numpy()


def evaluate(sr, cls, raw, sides, labels) -> dict:
    """Study's metrics for the pipeline on given inputs."""
    return classification_report(labels, pipeline_probs(sr, cls, raw, sides).argmax(1))
