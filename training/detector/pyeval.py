"""Fast Python scoring of a cascade on a split (inner loop only; the Rust evaluator is the judge)."""
import time

import numpy as np

from .cascade import match
from .voc import annotations, photo, split_ids


def evaluate(cascade, split="val", ids=None):
    ids = ids or split_ids(split)
    hits, labels, widths, fp, n_det = [], [], [], 0, 0
    t0 = time.time()
    for name in ids:
        gt, lab = annotations(name)
        det = cascade.detect(photo(name))
        h, f = match(gt, det)
        hits.append(h); labels.append(lab); widths.append(gt[:, 2] - gt[:, 0])
        fp += f; n_det += len(det)
    hits, labels, widths = map(np.concatenate, (hits, labels, widths))
    r = {"recall": hits.mean(), "precision": (n_det - fp) / max(n_det, 1),
         "by_class": {c: hits[labels == i].mean() for i, c in enumerate(("no_mask", "incorrect", "correct"))},
         "by_width": {"<16": hits[widths < 16].mean(), "16-31": hits[(widths >= 16) & (widths < 32)].mean(),
                      "32+": hits[widths >= 32].mean()},
         "ips": len(ids) / (time.time() - t0)}
    return r
