"""Fine-tune P-Net, R-Net and O-Net from the public weights on mined train samples.

Losses (Zhang et al. 2016): cross-entropy face/non-face on positives and
negatives with online hard-example mining (top 70% of the batch), smooth-L1
box regression on positives and part faces. O-Net additionally distils its
landmark head from the frozen original O-Net (no landmark ground truth here),
so the pipeline's landmarks stay usable. Batches are class-balanced
(neg:pos:part = 3:1:1) since positives are rarer than negatives.
Augmentation: horizontal flip (regression mirrored), brightness/contrast jitter.
"""
import argparse
import copy
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .export import OUT as SHIPPED
from .load_onnx_weights import load, load_exported
from .voc import CACHE

SIDES = {"pnet": 12, "rnet": 24, "onet": 48}


def load_mined(side, pattern="mined*_*.npz"):
    """Crops, labels, regression targets, and each sample's face class and face width
    (class -1 and width infinite where a shard predates those columns, so that no
    sample weight applies to it)."""
    xs, ls, rs, cs, ws = [], [], [], [], []
    for f in sorted(CACHE.glob(pattern)):
        d = np.load(f)
        xs.append(d[f"x_{side}"]); ls.append(d[f"label_{side}"]); rs.append(d[f"reg_{side}"])
        n = len(ls[-1])
        cs.append(d[f"class_{side}"] if f"class_{side}" in d else np.full(n, -1, np.int8))
        ws.append(d[f"width_{side}"] if f"width_{side}" in d else np.full(n, np.inf, np.float32))
    return (np.concatenate(xs), np.concatenate(ls).astype(int), np.concatenate(rs),
            np.concatenate(cs).astype(int), np.concatenate(ws))


def positive_weights(classes, widths, bare_weight, tiny_weight):
    """How often each positive is drawn relative to the others: bare faces (class 0) and
    faces under 16 px are the ones the cascade misses most (model card, per-width table)."""
    w = np.ones(len(classes))
    w[classes == 0] *= bare_weight
    w[widths < 16] *= tiny_weight
    return w


def to_input(x_u8, flip, gain, bias):
    """uint8 HWC batch -> normalised WHC float tensor, with flip and photometric jitter."""
    x = torch.from_numpy(x_u8).float()
    x = torch.where(flip[:, None, None, None], x.flip(2), x)
    x = (x * gain[:, None, None, None] + bias[:, None, None, None]).clamp(0, 255)
    return ((x - 127.5) / 128.0).permute(0, 2, 1, 3).contiguous()


def balanced_batches(labels, batch, steps, rng, weights=None):
    """Batches of neg:pos:part = 3:1:1; positives drawn in proportion to `weights`."""
    pools = {l: np.nonzero(labels == l)[0] for l in (0, 1, -1)}
    quota = {0: batch * 3 // 5, 1: batch // 5, -1: batch - batch * 3 // 5 - batch // 5}
    p = None
    if weights is not None:
        p = weights[pools[1]] / weights[pools[1]].sum()
    for _ in range(steps):
        yield np.concatenate([rng.choice(pools[l], quota[l], p=p if l == 1 else None)
                              for l in (0, 1, -1)])


def _tail(net, f, frozen):
    """Heads of R-Net/O-Net from the output of the first `frozen` body modules."""
    f = net.body[frozen:](f).permute(0, 2, 3, 1).flatten(1)
    h = net.fc(f)
    return (net.reg(h), net.lmk(h), net.cls(h)) if hasattr(net, "lmk") else (net.reg(h), net.cls(h))


def train(name, steps, batch=256, lr=1e-3, out=None, seed=0, log_every=200, frozen=0, init=None,
          pattern="mined*_*.npz", bare_weight=1.0, tiny_weight=1.0):
    """Fine-tune one net. `frozen` first body modules keep the public weights (and, for O-Net,
    are shared with the landmark teacher), which halves the CPU cost per step. `init` is the
    tag of an earlier state in .cache/detector/, or "shipped" for models/detector/."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    X, L, R, C, W = load_mined(SIDES[name], pattern)
    print(name, "samples", len(L), "pos", (L == 1).sum(), "part", (L == -1).sum(), "neg", (L == 0).sum(),
          "bare pos", ((L == 1) & (C == 0)).sum(), "tiny pos", ((L == 1) & (W < 16)).sum(), flush=True)
    weights = positive_weights(C, W, bare_weight, tiny_weight)
    net = load(name).train()
    if init == "shipped":
        net.load_state_dict(load_exported(name, SHIPPED / f"{name}.onnx").state_dict())
    elif init is not None:  # continue from an earlier fine-tuned state
        net.load_state_dict(torch.load(CACHE / f"{name}{init}.pt"))
    teacher = load("onet").eval() if name == "onet" else None
    for p in net.body[:frozen].parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    t0, agg = time.time(), np.zeros(4)
    for step, idx in enumerate(balanced_batches(L, batch, steps, rng, weights)):
        n = len(idx)
        flip = torch.from_numpy(rng.random(n) < 0.5)
        gain = torch.from_numpy(rng.uniform(0.8, 1.2, n)).float()
        bias = torch.from_numpy(rng.uniform(-20, 20, n)).float()
        x = to_input(X[idx], flip, gain, bias)
        lab = torch.from_numpy(L[idx])
        reg = torch.from_numpy(R[idx]).clone()
        # Mirroring swaps the x edges and negates their offsets.
        fx1, fx2 = -reg[:, 2], -reg[:, 0]
        reg[:, 0] = torch.where(flip, fx1, reg[:, 0])
        reg[:, 2] = torch.where(flip, fx2, reg[:, 2])
        if frozen:
            with torch.no_grad():
                f = net.body[:frozen](x.permute(0, 3, 1, 2))
            outs = _tail(net, f, frozen)
        else:
            outs = net.logits(x)
        reg_p, cls_p = outs[0], outs[-1]
        if name == "pnet":
            reg_p, cls_p = reg_p[:, 0, 0], cls_p[:, 0, 0]
        cm = lab >= 0
        ce = F.cross_entropy(cls_p[cm], lab[cm], reduction="none")
        k = max(1, int(0.7 * len(ce)))
        loss_cls = ce.topk(k).values.mean()
        rm = lab != 0
        loss_reg = F.smooth_l1_loss(reg_p[rm], reg[rm], beta=0.1)
        loss = loss_cls + 0.5 * loss_reg
        loss_lmk = torch.zeros(())
        if teacher is not None:
            with torch.no_grad():
                target = _tail(teacher, f, frozen)[1] if frozen else teacher.logits(x)[1]
            loss_lmk = F.mse_loss(outs[1][rm], target[rm]) * 20.0
            loss = loss_cls + loss_reg + loss_lmk
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            acc = (cls_p[cm].argmax(1) == lab[cm]).float().mean().item()
        agg += [loss_cls.item(), loss_reg.item(), loss_lmk.item(), acc]
        if (step + 1) % log_every == 0:
            print(f"{name} step {step + 1}/{steps} cls {agg[0] / log_every:.4f} reg {agg[1] / log_every:.4f} "
                  f"lmk {agg[2] / log_every:.5f} acc {agg[3] / log_every:.4f} {time.time() - t0:.0f}s", flush=True)
            agg[:] = 0
    net.eval()
    out = Path(out or CACHE / f"{name}.pt")
    torch.save(net.state_dict(), out)
    print("saved", out, f"{time.time() - t0:.0f}s", flush=True)
    return net


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nets", nargs="+", choices=list(SIDES))
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tag", default="")
    ap.add_argument("--init", default=None,
                    help="start from .cache/detector/{net}INIT.pt, or 'shipped' for models/detector/")
    ap.add_argument("--pattern", default="mined*_*.npz", help="which mined shards to train on")
    ap.add_argument("--frozen", type=int, default=0, help="leading body modules kept frozen")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--bare-weight", type=float, default=1.0,
                    help="how much more often positives of bare faces are drawn")
    ap.add_argument("--tiny-weight", type=float, default=1.0,
                    help="how much more often positives of faces under 16 px are drawn")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for name in a.nets:
        train(name, a.steps, a.batch, a.lr, out=CACHE / f"{name}{a.tag}.pt", frozen=a.frozen, init=a.init,
              pattern=a.pattern, bare_weight=a.bare_weight, tiny_weight=a.tiny_weight, seed=a.seed)


if __name__ == "__main__":
    main()
