"""Render the model card's tables from models/training_metrics.json (keeps card and JSON in step).

    .venv/bin/python -m maskwatch_training.report
"""
import json

from .common import MODELS
from .train_classifier import selection_score


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def sr_table(sr: dict) -> str:
    rows = ["| face size (px) | bicubic PSNR (dB) | SR PSNR (dB) | bicubic SSIM | SR SSIM | SR better in both |",
            "| --- | --- | --- | --- | --- | --- |"]
    for n in ("64", "96", "112", "150"):
        r = sr[n]
        both = r["sr_psnr"] > r["bicubic_psnr"] and r["sr_ssim"] > r["bicubic_ssim"]
        rows.append(f"| {n} | {r['bicubic_psnr']:.2f} | {r['sr_psnr']:.2f} | {r['bicubic_ssim']:.4f} | "
                    f"{r['sr_ssim']:.4f} | {'yes' if both else 'no'} |")
    return "\n".join(rows)


def cls_row(name: str, r: dict) -> str:
    rec = r["recall"]
    return (f"| {name} | {_pct(r['accuracy'])} | {_pct(r['mask_wearing_accuracy'])} | "
            f"{_pct(r['personal_protection_accuracy'])} | {r['kappa']:.3f} | {_pct(rec['no_mask'])} | "
            f"{_pct(rec['incorrect'])} | {_pct(rec['correct'])} |")


HEADER = ("| model (val) | 3-class acc % | mask-wearing acc % | protection acc % | kappa | "
          "recall no_mask % | recall incorrect % | recall correct % |\n| --- | --- | --- | --- | --- | --- | --- | --- |")


def main() -> None:
    m = json.loads((MODELS / "training_metrics.json").read_text())
    c = m["classifier"]
    runs = c["runs"]
    print("## SR vs bicubic\n\n" + sr_table(m["sr"]) + "\n")
    print("## Shipped classifier, end-to-end on val\n\n" + HEADER)
    print(cls_row("shipped: SR + ImageNet init (end-to-end fp32)", c["val"]))
    print(cls_row("shipped model before the val-chosen incorrect offset", c["val_before_offset"]))
    print(cls_row("same model, SR skipped", c["val_without_sr_same_model"]))
    print(f"\nincorrect logit offset: {c['incorrect_logit_offset']}")
    print("\nconfusion (rows true no_mask/incorrect/correct):", c["val"]["confusion"], "\n")
    print("## Ablation\n\n" + HEADER)
    print(cls_row(f"SR + ImageNet (main, epoch {runs['main']['best_epoch']})", runs["main"]["val"]))
    k = m["settings"]["ablation_epochs"]
    early = max((h for h in runs["main"]["history"] if h["epoch"] <= k), key=lambda h: selection_score(h["val"]))
    print(cls_row(f"SR + ImageNet, same {k}-epoch budget (epoch {early['epoch']})", early["val"]))
    print(cls_row(f"no SR + ImageNet (epoch {runs['imagenet_no_sr']['best_epoch']})", runs["imagenet_no_sr"]["val"]))
    print(cls_row(f"SR + random init ({runs['random_sr']['best_step']} steps)", runs["random_sr"]["val"]))
    print(cls_row(f"no SR + random init ({runs['random_no_sr']['best_step']} steps)", runs["random_no_sr"]["val"]))
    print("\n## Imbalance\n\n" + HEADER)
    print(cls_row("with handling (main)", runs["main"]["val"]))
    print(cls_row(f"with handling, same {k}-epoch budget (epoch {early['epoch']})", early["val"]))
    print(cls_row(f"without (epoch {runs['no_imbalance_handling']['best_epoch']})", runs["no_imbalance_handling"]["val"]))
    for name, r in runs.items():
        print(f"\n{name}: {r['seconds']:.0f}s; per-epoch/step val:",
              [(h.get("epoch", h.get("step")), round(h["val"]["accuracy"], 4), round(h["val"]["kappa"], 3),
                round(h["val"]["recall"]["incorrect"], 3)) for h in r["history"]])


if __name__ == "__main__":
    main()
