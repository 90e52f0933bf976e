"""Train SRCNet on random patches of (degraded, original) 224 face pairs and score it vs bicubic."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from .data import Face
from .metrics import psnr, ssim
from .sr_data import hr_pool, random_degrade, resample, to_tensor
from .sr_model import SRCNet

EVAL_SIZES = (64, 96, 112, 150)


def train_sr(train_faces: list[Face], ckpt: Path, steps: int, seed: int, patch: int = 64,
             batch: int = 32, lr: float = 3e-4, weight_decay: float = 1e-6, log=print) -> SRCNet:
    """Adam on MSE with L2 weight decay and cosine LR; checkpoints every 200 steps (early export reads them)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    pool = hr_pool(train_faces)
    log(f"SR: {len(pool)} high-resolution training faces, {steps} steps of {batch}x{patch}px")
    net = SRCNet()
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps, eta_min=lr * 0.03)
    t0, run = time.time(), 0.0
    for step in range(1, steps + 1):
        idx = rng.integers(0, len(pool), batch)
        lo = np.empty((batch, patch, patch, 3), np.uint8)
        hi = np.empty_like(lo)
        for j, i in enumerate(idx):
            hr = pool[i]
            if rng.random() < 0.5:
                hr = hr[:, ::-1]
            deg = random_degrade(np.ascontiguousarray(hr), rng)
            y, x = rng.integers(0, 224 - patch + 1, 2)
            lo[j], hi[j] = deg[y:y + patch, x:x + patch], hr[y:y + patch, x:x + patch]
        loss = torch.nn.functional.mse_loss(net(to_tensor(lo)), to_tensor(hi))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        run = 0.98 * run + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 200 == 0 or step == steps:
            torch.save(net.state_dict(), ckpt)
            log(f"SR step {step}/{steps} mse {run:.5f} {time.time() - t0:.0f}s")
    return net


@torch.no_grad()
def evaluate_sr(net: SRCNet, faces: list[Face]) -> dict:
    """Mean PSNR/SSIM of SR and of plain bicubic against the original, per degradation size."""
    net.eval()
    pool = hr_pool(faces, min_side=64)
    out = {"n_faces": int(len(pool)), "ssim_on": "luminance Y (BT.601), gaussian 11x11 sigma 1.5, valid"}
    for n in EVAL_SIZES:
        sums = {k: 0.0 for k in ("bicubic_psnr", "sr_psnr", "bicubic_ssim", "sr_ssim")}
        for i in range(0, len(pool), 32):
            hr = to_tensor(pool[i:i + 32])
            lo = to_tensor(np.stack([resample(im, n) for im in pool[i:i + 32]]))
            sr = net(lo)
            sums["bicubic_psnr"] += psnr(lo, hr).sum().item()
            sums["sr_psnr"] += psnr(sr, hr).sum().item()
            sums["bicubic_ssim"] += ssim(lo, hr).sum().item()
            sums["sr_ssim"] += ssim(sr, hr).sum().item()
        out[str(n)] = {k: v / len(pool) for k, v in sums.items()}
    return out
