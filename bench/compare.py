"""Runs `maskwatch bench` and the Python reference pipeline on the same photos,
one after the other in one run, and prints their speeds side by side.

Started by `scripts/bench` (which builds the CLI and the Python environment);
the photos are the first `--photos` files of the folder in name order, the
order both programs use.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "bench" / "python" / "reference_pipeline.py"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png"}


def photos(folder: Path, count: int) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)
    if not files:
        sys.exit(f"no photos under {folder}")
    return files[:count]


def run_json(command: list[str]) -> dict:
    print("+", " ".join(command[:6]), "...", file=sys.stderr, flush=True)
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout)


def rust(cli: Path, files: list[Path], batch: int, faces: int, lanes: int | None,
         precision: str) -> dict:
    command = [str(cli), "bench", "--json", "--photos", str(len(files)),
               "--batch-sizes", str(batch), "--faces", str(faces), "--precision", precision]
    if lanes is not None:
        command += ["--lanes", str(lanes)]
    report = run_json(command + [str(f) for f in files])
    rate = next(r for r in report["classification"] if r["batch_size"] == batch)
    return {"images_per_second": report["pipeline_images_per_second"],
            "faces_per_second_sr_cls": rate["faces_per_second"],
            "faces": report["faces_detected"], "lanes": report["lanes"],
            "peak_resident_mib": report["peak_resident_mib"], "precision": report["precision"]}


def python(interpreter: str, files: list[Path], batch: int, precision: str) -> dict:
    report = run_json([interpreter, str(REFERENCE), "--json", "--models", "models",
                       "--batch-size", str(batch), "--precision", precision]
                      + [str(f) for f in files])
    return {"images_per_second": report["images_per_second"],
            "faces_per_second_sr_cls": report["faces_per_second_sr_cls"],
            "faces": report["faces"], "lanes": 1, "precision": precision}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--cli", type=Path, default=ROOT / "target" / "release" / "maskwatch")
    parser.add_argument("--python", default=sys.executable, help="interpreter with onnxruntime")
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--faces", type=int, default=128,
                        help="faces in maskwatch's super-resolution + classification measurement")
    parser.add_argument("--json", type=Path, help="also write every number here")
    args = parser.parse_args(argv)

    files = photos(args.folder, args.photos)
    b = args.batch_size
    runs = {
        "maskwatch": rust(args.cli, files, b, args.faces, None, "auto"),
        "maskwatch, one lane": rust(args.cli, files, b, args.faces, 1, "auto"),
        "python reference": python(args.python, files, b, "auto"),
        "maskwatch, fp32": rust(args.cli, files, b, args.faces, None, "fp32"),
        "python reference, fp32": python(args.python, files, b, "fp32"),
    }
    same_files = {"maskwatch": "python reference", "maskwatch, one lane": "python reference",
                  "maskwatch, fp32": "python reference, fp32"}

    print(f"{len(files)} photos from {args.folder}, batch {b}")
    print()
    print("| pipeline | lanes | faces found | images/s | SR + classification faces/s "
          "| images/s vs Python | SR + cls vs Python |")
    print("|---|---|---|---|---|---|---|")
    for name, r in runs.items():
        ratio = ["", ""]
        if name in same_files:
            ref = runs[same_files[name]]
            ratio = [f"{r['images_per_second'] / ref['images_per_second']:.2f}x",
                     f"{r['faces_per_second_sr_cls'] / ref['faces_per_second_sr_cls']:.2f}x"]
        print(f"| {name} | {r['lanes']} | {r['faces']} | {r['images_per_second']:.2f} "
              f"| {r['faces_per_second_sr_cls']:.1f} | {ratio[0]} | {ratio[1]} |")
    print()
    print("Ratios compare runs on the same ONNX files: `auto` is the model set's int8 "
          "super-resolution copy where the manifest names one, `fp32` the float32 files.")
    shipped, floats = runs["maskwatch"], runs["python reference, fp32"]
    print(f"maskwatch as shipped against the Python reference on the float32 files: "
          f"{shipped['images_per_second'] / floats['images_per_second']:.2f}x images/s, "
          f"{shipped['faces_per_second_sr_cls'] / floats['faces_per_second_sr_cls']:.2f}x "
          "SR + classification faces/s.")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"photos": [str(f) for f in files], "runs": runs},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
