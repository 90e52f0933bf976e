"""Sweep the O-Net threshold (and R-Net via reruns) on val with the Python cascade: one O-Net pass per photo."""
import numpy as np
import torch

from .cascade import Cascade, final_boxes, match, truncated
from .load_onnx_weights import load
from .nets import NETS
from .voc import CACHE, annotations, photo, split_ids


def nets_from(tag=None):
    out = []
    for k in ("pnet", "rnet", "onet"):
        n = load(k)
        if tag is not None:
            n = NETS[k]()
            n.load_state_dict(torch.load(CACHE / f"{k}{tag}.pt"))
        out.append(n.eval())
    return out


def sweep(cascade, o_thresholds, ids=None):
    ids = ids or split_ids("val")
    per = []
    for name in ids:
        img = photo(name)
        gt, lab = annotations(name)
        r = cascade.refine(img, cascade.propose(img))
        b, _ = cascade.score(2, img, truncated(r)) if len(r) else (np.zeros((0, 9), np.float32), None)
        per.append((gt, lab, b, img.shape))
    res = {}
    for t in o_thresholds:
        hits, labs, fp, nd = [], [], 0, 0
        for gt, lab, b, shape in per:
            det = final_boxes(b, t, shape)
            h, f = match(gt, det)
            hits.append(h); labs.append(lab); fp += f; nd += len(det)
        h, l = np.concatenate(hits), np.concatenate(labs)
        res[t] = (round(h.mean(), 3), round((nd - fp) / max(nd, 1), 3), [round(h[l == i].mean(), 3) for i in range(3)])
    return res
