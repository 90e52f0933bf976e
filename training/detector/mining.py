"""Training-sample mining for the three stages (standard MTCNN recipe, adapted to VOC boxes).

Per train photo we build, for each network input size (12, 24, 48):
  * positives (IoU >= 0.65 with a face) and part faces (0.4-0.65) from square
    windows jittered around every annotated face, masked or not, tiny ones
    included, with regression targets toward the *VOC box* (what the judge
    matches against, rectangles included);
  * negatives (IoU < 0.3): random squares, squares shifted off faces, and the
    cascade's own false windows (hard negatives): P-Net proposals for R-Net,
    R-Net survivors for O-Net, exactly cropped as the Rust pipeline crops.
Label: 1 face, 0 non-face, -1 part (regression only).
"""
import numpy as np

from .cascade import Cascade, iou_matrix, truncated, window_crop
from .voc import annotations, photo

POS, PART, NEG = 0.65, 0.4, 0.3


def targets(win, gt):
    """Regression of continuous square windows win [N,4] toward boxes gt [N,4], as fractions of the side."""
    w = (win[:, 2] - win[:, 0])[:, None]
    return ((gt - win) / w).astype(np.float32)


def label_windows(win, gts):
    """(label, regression target, index of the nearest face) for continuous windows vs
    all faces of the photo."""
    if len(gts) == 0:
        return np.zeros(len(win), int), np.zeros((len(win), 4), np.float32), np.zeros(len(win), int)
    iou = iou_matrix(win, gts)
    best = iou.argmax(1)
    m = iou.max(1)
    lab = np.full(len(win), -2)
    lab[m >= POS] = 1
    lab[(m >= PART) & (m < POS)] = -1
    lab[m < NEG] = 0
    return lab, targets(win, gts[best]), best


def jitter_windows(gts, rng, per_face, spread):
    """Integer square windows (1-based inclusive x1,y1,x2,y2) around each face."""
    out = []
    for g in gts:
        gw, gh = g[2] - g[0], g[3] - g[1]
        base = max(gw, gh)
        for _ in range(per_face):
            side = max(3, int(round(base * np.exp(rng.uniform(-spread, spread)))))
            cx = (g[0] + g[2]) / 2 + rng.uniform(-spread, spread) * base
            cy = (g[1] + g[3]) / 2 + rng.uniform(-spread, spread) * base
            x1, y1 = int(round(cx - side / 2)) + 1, int(round(cy - side / 2)) + 1
            out.append([x1, y1, x1 + side - 1, y1 + side - 1])
    return np.array(out, np.float32).reshape(-1, 4)


def random_windows(W, H, rng, n, min_side=6):
    s = np.exp(rng.uniform(np.log(min_side), np.log(max(min_side + 1, min(W, H) / 2)), n)).astype(int)
    x1 = (rng.uniform(0, 1, n) * np.maximum(W - s, 1)).astype(int) + 1
    y1 = (rng.uniform(0, 1, n) * np.maximum(H - s, 1)).astype(int) + 1
    return np.stack([x1, y1, x1 + s - 1, y1 + s - 1], 1).astype(np.float32)


def cont(win):
    return np.stack([win[:, 0] - 1, win[:, 1] - 1, win[:, 2], win[:, 3]], 1)


def _take(img, wins, gts, classes, side, rng, caps):
    """Crop and label windows, keeping at most caps[label] of each label class. Each sample
    also carries the mask class and width of its nearest face (-1 and 0 for negatives),
    so that training can weight the kinds of face a detector misses most."""
    lab, reg, near = label_windows(cont(wins), gts)
    xs, ls, rs, cs, ws = [], [], [], [], []
    for l, cap in caps.items():
        idx = np.nonzero(lab == l)[0]
        if len(idx) > cap:
            idx = rng.choice(idx, cap, replace=False)
        for i in idx:
            c = window_crop(img, wins[i], side)
            if c is not None:
                xs.append(c); ls.append(l); rs.append(reg[i])
                face = l != 0  # photos without faces give negatives only
                cs.append(classes[near[i]] if face else -1)
                ws.append(gts[near[i], 2] - gts[near[i], 0] if face else 0.0)
    return xs, ls, rs, cs, ws


def mine_photo(name, cascade: Cascade, rng):
    """Samples of one photo for each stage:
    {side: (uint8 crops [N,s,s,3] HWC, labels, regression, face classes, face widths)}."""
    img = photo(name)
    H, W = img.shape[:2]
    gts, classes = annotations(name)
    nf = len(gts)
    out = {}
    # Cascade windows (hard negatives and realistic positives).
    proposed = cascade.propose(img)
    props = proposed[:, :4]
    refined = cascade.refine(img, proposed) if len(props) else np.zeros((0, 9), np.float32)
    ref_w = truncated(refined)[:, :4] if len(refined) else np.zeros((0, 4), np.float32)
    for side, hard in ((12, props), (24, props), (48, ref_w)):
        jit = np.concatenate([jitter_windows(gts, rng, 6, 0.08), jitter_windows(gts, rng, 6, 0.25)])
        rnd = random_windows(W, H, rng, 60 if side == 12 else 30)
        near = jitter_windows(gts, rng, 2, 0.8)
        wins = np.concatenate([jit, rnd, near, hard])
        xs, ls, rs, cs, ws = _take(img, wins, gts, classes, side, rng,
                                   {1: 6 * nf + 20, -1: 4 * nf + 10, 0: 40 + 3 * nf})
        out[side] = (np.array(xs, np.uint8).reshape(-1, side, side, 3), np.array(ls, np.int8),
                     np.array(rs, np.float32).reshape(-1, 4), np.array(cs, np.int8),
                     np.array(ws, np.float32))
    return out


def main():
    """python -m detector.mining SHARD NSHARDS [ROUND]: mine train photos into .cache/detector/mined[ROUND]_SHARD.npz.

    Round 1 runs the public P-Net/R-Net; round 2 the fine-tuned ones (.cache/detector/{pnet,rnet}.pt);
    round 3 the shipped ones (models/detector/), so O-Net sees the windows and hard negatives of the
    cascade it will actually sit behind."""
    import sys
    import torch
    from .export import OUT as SHIPPED
    from .load_onnx_weights import load, load_exported
    from .voc import CACHE, split_ids
    torch.set_num_threads(1)
    shard, n = int(sys.argv[1]), int(sys.argv[2])
    rnd = sys.argv[3] if len(sys.argv) > 3 else ""
    ids = split_ids("train")[shard::n]
    # Low R-Net threshold: O-Net must learn to reject what a permissive R-Net lets through.
    nets = [load(k) for k in ("pnet", "rnet", "onet")]
    if rnd == "3":
        nets[:2] = [load_exported(k, SHIPPED / f"{k}.onnx") for k in ("pnet", "rnet")]
    elif rnd:
        for k, net in zip(("pnet", "rnet"), nets):
            net.load_state_dict(torch.load(CACHE / f"{k}.pt"))
    cascade = Cascade(*nets, thresholds=(0.5, 0.3, 0.7))
    rng = np.random.default_rng(shard + 100 * len(rnd))
    acc = {s: ([], [], [], [], []) for s in (12, 24, 48)}
    for k, name in enumerate(ids):
        for s, sample in mine_photo(name, cascade, rng).items():
            for store, part in zip(acc[s], sample):
                store.append(part)
        if k % 50 == 0:
            print(shard, k, len(ids), flush=True)
    np.savez(CACHE / f"mined{rnd}_{shard}.npz", **{f"{k}_{s}": np.concatenate(v[i])
             for s, v in acc.items() for i, k in enumerate(("x", "label", "reg", "class", "width"))})


if __name__ == "__main__":
    main()
