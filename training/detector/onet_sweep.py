"""Score O-Net candidates behind the shipped P-Net and R-Net on val, quickly.

The R-Net survivors of every val photo are computed once and cached; each
candidate O-Net is then run on them and matched at several O-Net thresholds,
which is all that changes when only O-Net is retrained. The Rust evaluator
(`maskwatch eval --voc`) remains the judge of what ships.

    python -m detector.onet_sweep STATE.pt|shipped [...] [--thresholds 0.7 0.8 0.9]
        [--pnet 0.5 --rnet 0.7 --min-face 12 --factor 0.709]
"""
import argparse
import hashlib
import pickle

import numpy as np
import torch

from .cascade import Cascade, final_boxes, match, truncated
from .export import OUT as SHIPPED
from .load_onnx_weights import load_exported
from .nets import NETS
from .voc import CACHE, annotations, photo, split_ids


def survivors(pnet_threshold, rnet_threshold, min_face, factor):
    """[(name, gt boxes, gt classes, R-Net survivor windows, photo shape)] for every val photo,
    cached per setting and per shipped P-Net/R-Net pair."""
    nets_id = hashlib.sha256(b"".join((SHIPPED / f"{k}.onnx").read_bytes() for k in ("pnet", "rnet")))
    path = CACHE / (f"val_survivors_{nets_id.hexdigest()[:12]}_{pnet_threshold}_{rnet_threshold}"
                    f"_{min_face}_{factor}.pkl")
    if path.exists():
        return pickle.loads(path.read_bytes())
    nets = [load_exported(k, SHIPPED / f"{k}.onnx") for k in ("pnet", "rnet", "onet")]
    cascade = Cascade(*nets, min_face=min_face, factor=factor, thresholds=(pnet_threshold, rnet_threshold, 0.0))
    out = []
    for name in split_ids("val"):
        img = photo(name)
        gt, classes = annotations(name)
        proposed = cascade.propose(img)
        refined = cascade.refine(img, proposed) if len(proposed) else proposed
        out.append((name, gt, classes, truncated(refined), img.shape))
    path.write_bytes(pickle.dumps(out))
    return out


def onet_from(spec):
    """`shipped` (models/detector/onet.onnx) or a state file written by `detector.train`."""
    if spec == "shipped":
        return load_exported("onet", SHIPPED / "onet.onnx")
    net = NETS["onet"]()
    net.load_state_dict(torch.load(spec, map_location="cpu"))
    return net.eval()


def sweep(onet, thresholds, cached):
    cascade = Cascade(onet, onet, onet)  # only the O-Net stage is run here
    scored = []
    for name, gt, classes, windows, shape in cached:
        boxes = cascade.score(2, photo(name), windows)[0] if len(windows) else np.zeros((0, 9), np.float32)
        scored.append((gt, classes, boxes, shape))
    rows = []
    for t in thresholds:
        hits, labels, widths, false_pos = [], [], [], 0
        for gt, classes, boxes, shape in scored:
            h, f = match(gt, final_boxes(boxes, t, shape))
            hits.append(h); labels.append(classes); widths.append(gt[:, 2] - gt[:, 0]); false_pos += f
        h, c, w = np.concatenate(hits), np.concatenate(labels), np.concatenate(widths)
        rows.append({"threshold": t, "recall": h.mean(), "precision": h.sum() / max(h.sum() + false_pos, 1),
                     "by_class": [h[c == k].mean() for k in range(3)],
                     "by_width": [h[w < 16].mean(), h[(w >= 16) & (w < 32)].mean(), h[w >= 32].mean()]})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("states", nargs="+")
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
    ap.add_argument("--pnet", type=float, default=0.5, help="P-Net threshold")
    ap.add_argument("--rnet", type=float, default=0.7, help="R-Net threshold")
    ap.add_argument("--min-face", type=float, default=12.0)
    ap.add_argument("--factor", type=float, default=0.709, help="pyramid scale factor")
    a = ap.parse_args()
    torch.set_num_threads(1)
    cached = survivors(a.pnet, a.rnet, a.min_face, a.factor)
    for spec in a.states:
        for r in sweep(onet_from(spec), a.thresholds, cached):
            print(f"{spec} O-Net >= {r['threshold']:.2f}: recall {100 * r['recall']:.1f} "
                  f"precision {100 * r['precision']:.1f} | no_mask/incorrect/correct "
                  + "/".join(f"{100 * x:.1f}" for x in r["by_class"])
                  + " | <16/16-31/32+ " + "/".join(f"{100 * x:.1f}" for x in r["by_width"]), flush=True)


if __name__ == "__main__":
    main()
