"""Degradations that turn a high-resolution 224 face into an SR training/eval input.

The real SR input is a face that was only s pixels wide in the photo, bicubically
enlarged to 224; we simulate it by bicubic downscaling to n pixels and back up,
in uint8 like the inference pipeline. The study's own degradation (5x5 Gaussian
blur, sigma 10, down to 112, back up) is mixed in.
"""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from .data import INPUT, PhotoCache, Face, face_input


def resample(img: np.ndarray, n: int) -> np.ndarray:
    """Bicubic down to n x n and back up to 224, uint8 throughout."""
    small = Image.fromarray(img).resize((n, n), Image.BICUBIC)
    return np.asarray(small.resize((INPUT, INPUT), Image.BICUBIC))


def _gauss5(sigma: float = 10.0) -> np.ndarray:
    x = np.arange(5) - 2.0
    k = np.exp(-x ** 2 / (2 * sigma ** 2))
    return k / k.sum()


_G5 = _gauss5()


def study_degrade(img: np.ndarray) -> np.ndarray:
    """The study's pairs: 5x5 Gaussian blur (sigma 10, edge-replicated), down to 112, bicubic up."""
    f = np.pad(img.astype(np.float64), ((2, 2), (2, 2), (0, 0)), mode="edge")
    f = sum(_G5[i] * f[i:i + img.shape[0]] for i in range(5))
    f = sum(_G5[i] * f[:, i:i + img.shape[1]] for i in range(5))
    return resample(np.clip(np.floor(f + 0.5), 0, 255).astype(np.uint8), 112)


def random_degrade(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """15% study blur, 20% tiny faces (12-48 px, log-uniform), 65% 48-224 px (uniform).

    Mild and even no degradation are in the mix on purpose: the net cannot be told
    the face size, so it must learn to leave already-sharp input (s near 150) alone;
    trained on heavy blur only it over-sharpens such faces and loses to bicubic.
    """
    u = rng.random()
    if u < 0.15:
        return study_degrade(img)
    if u < 0.35:
        n = int(round(np.exp(rng.uniform(np.log(12), np.log(48)))))
    else:
        n = int(rng.integers(48, 225))
    return img if n == INPUT else resample(img, n)


def hr_pool(faces: list[Face], min_side: int = 100) -> np.ndarray:
    """Contract inputs (stretched, cropped, 224) of faces at least min_side px wide: the SR targets."""
    cache = PhotoCache()
    imgs = [face_input(cache, f)[0] for f in faces if f.side >= min_side]
    return np.stack(imgs)


def to_tensor(batch: np.ndarray) -> torch.Tensor:
    """uint8 NHWC -> float32 NCHW in [0, 1], the SR input convention."""
    return torch.from_numpy(batch).permute(0, 3, 1, 2).float().div_(255.0)
