"""Per-stage recall diagnostics on val: how many faces still have a window (IoU >= 0.5 / 0.3) after each stage."""
import numpy as np

from .cascade import iou_matrix, truncated, window_boxes
from .voc import annotations, photo, split_ids


def stage_recall(cascade, ids=None, step=1):
    ids = ids or split_ids("val")[::step]
    cov = {k: [] for k in ("p5", "p3", "r5", "r3", "o5")}
    counts = {"p": 0, "r": 0}
    for name in ids:
        img = photo(name)
        gt, _ = annotations(name)
        p = cascade.propose(img)
        r = cascade.refine(img, p) if len(p) else p
        d = cascade.finish(img, r) if len(r) else np.zeros((0, 5))
        counts["p"] += len(p); counts["r"] += len(r)
        for key, boxes in (("p", window_boxes(p)), ("r", window_boxes(truncated(r)))):
            m = iou_matrix(gt, boxes).max(1) if len(boxes) else np.zeros(len(gt))
            cov[key + "5"].append(m >= 0.5); cov[key + "3"].append(m >= 0.3)
        m = iou_matrix(gt, d[:, :4]).max(1) if len(d) else np.zeros(len(gt))
        cov["o5"].append(m >= 0.5)
    return {k: round(float(np.concatenate(v).mean()), 3) for k, v in cov.items()} | counts
