"""Image-quality and classification metrics, written out so their definitions are explicit."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def psnr(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB over all RGB values in [0, 1]."""
    mse = ((a - b) ** 2).flatten(1).mean(1).clamp_min(1e-12)
    return 10 * torch.log10(1.0 / mse)


def _luma(x: torch.Tensor) -> torch.Tensor:
    w = torch.tensor([0.299, 0.587, 0.114], dtype=x.dtype).view(1, 3, 1, 1)
    return (x * w).sum(1, keepdim=True)


def ssim(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Per-image SSIM on BT.601 luminance: Gaussian window 11, sigma 1.5, 'valid' region, range 1."""
    g = torch.exp(-(torch.arange(11, dtype=torch.float64) - 5) ** 2 / (2 * 1.5 ** 2))
    g = (g / g.sum()).float()
    win = (g[:, None] * g[None, :]).view(1, 1, 11, 11)
    x, y = _luma(a), _luma(b)
    mu_x, mu_y = F.conv2d(x, win), F.conv2d(y, win)
    sxx = F.conv2d(x * x, win) - mu_x ** 2
    syy = F.conv2d(y * y, win) - mu_y ** 2
    sxy = F.conv2d(x * y, win) - mu_x * mu_y
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    m = ((2 * mu_x * mu_y + c1) * (2 * sxy + c2)) / ((mu_x ** 2 + mu_y ** 2 + c1) * (sxx + syy + c2))
    return m.flatten(1).mean(1)


def classification_report(y: np.ndarray, pred: np.ndarray) -> dict:
    """Study's columns: 3-class accuracy, mask-wearing (no_mask vs any mask),
    personal protection (correct vs rest), Cohen's kappa, per-class recall, confusion."""
    y, pred = np.asarray(y), np.asarray(pred)
    cm = np.zeros((3, 3), dtype=int)
    np.add.at(cm, (y, pred), 1)
    n = cm.sum()
    po = np.trace(cm) / n
    pe = (cm.sum(0) * cm.sum(1)).sum() / n ** 2
    recall = {name: float(cm[i, i] / max(1, cm[i].sum()))
              for i, name in enumerate(("no_mask", "incorrect", "correct"))}
    return {
        "n": int(n),
        "accuracy": float(po),
        "mask_wearing_accuracy": float(np.mean((y == 0) == (pred == 0))),
        "personal_protection_accuracy": float(np.mean((y == 2) == (pred == 2))),
        "kappa": float((po - pe) / (1 - pe)) if pe < 1 else 1.0,
        "recall": recall,
        "confusion": cm.tolist(),
    }
