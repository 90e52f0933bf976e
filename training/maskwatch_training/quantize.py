"""An int8 copy of the super-resolution network for the CPU.

Static quantization (ONNX Runtime's QDQ format: int8 weights per output
channel, uint8 activations) calibrated on `train` faces only, pushed through
the same preprocessing contract as the Rust pipeline. The transposed
convolutions are first rewritten as ordinary ones (`subpixel.py`), because
ONNX Runtime has no int8 transposed convolution. The float32 file stays the
reference; the manifest names the int8 file as the model's CPU copy, which
the pipeline uses by default because `maskwatch eval` on `val` showed it
loses nothing (model card). The classifier is not quantized: every int8
copy tried lost `incorrect` faces on `val` (model card).

Needs only onnxruntime, onnx, numpy and Pillow (no PyTorch), so it runs in
`bench/python`'s environment as well as in the training one:

    python -m maskwatch_training.quantize [--data PATH] [--faces 256]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,
                                      QuantType, quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process

from . import subpixel
from .data import SR_MAX_SIDE, PhotoCache, face_input, resolve_data_root, voc_faces

MODELS = Path(__file__).resolve().parents[2] / "models"
CALIBRATION_BATCH = 16


class Batches(CalibrationDataReader):
    """Feeds one named input in fixed-size batches."""

    def __init__(self, name: str, data: np.ndarray):
        self._items = iter([{name: data[i:i + CALIBRATION_BATCH]}
                            for i in range(0, len(data), CALIBRATION_BATCH)])

    def get_next(self):
        return next(self._items, None)


def calibration_faces(root: Path, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Contract inputs (N,3,224,224 in [0,1]) and crop sides of `count` train faces.

    Small faces are what the SR network sees and most faces are small, so the
    sample is drawn from train as it comes, without re-weighting.
    """
    faces = [f for f in voc_faces(root) if f.split == "train"]
    rng = np.random.default_rng(seed)
    chosen = [faces[i] for i in sorted(rng.choice(len(faces), count, replace=False))]
    cache = PhotoCache()
    pixels, sides = [], []
    for face in chosen:
        img, side = face_input(cache, face)
        pixels.append(img.transpose(2, 0, 1).astype(np.float32) / 255.0)
        sides.append(side)
    return np.stack(pixels), np.array(sides)


METHOD = ("transposed convolutions rewritten as phase convolutions; ONNX Runtime static "
          "QDQ quantization, int8 weights per channel, uint8 activations, MinMax "
          "calibration on {faces} train faces")


def quantize(source: Path, target: Path, data: np.ndarray) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rewritten = Path(tmp) / "rewritten.onnx"
        model, _ = subpixel.rewrite(onnx.load(str(source)))
        onnx.save(model, str(rewritten))
        prepared = Path(tmp) / "prepared.onnx"
        # Symbolic shape inference would need sympy; the graphs have static
        # shapes apart from the batch axis, which ONNX shape inference handles.
        quant_pre_process(str(rewritten), str(prepared), skip_symbolic_shape=True)
        quantize_static(str(prepared), str(target), Batches("image", data),
                        quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method=CalibrationMethod.MinMax)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="datasets folder (default ../shared/datasets)")
    parser.add_argument("--faces", type=int, default=256, help="train faces to sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", type=Path, default=MODELS)
    args = parser.parse_args(argv)

    x01, sides = calibration_faces(resolve_data_root(args.data), args.faces, args.seed)
    calibration = x01[sides <= SR_MAX_SIDE]  # what the SR network is given
    source = args.models / "super_resolution.onnx"
    target = args.models / "super_resolution.int8.onnx"
    quantize(source, target, calibration)

    manifest_path = args.models / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["models"]["super_resolution"]["int8"] = {
        "file": target.name, "sha256": sha256(target),
        "method": METHOD.format(faces=len(calibration)),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"{target}: {target.stat().st_size / 1e6:.1f} MB, calibrated on "
          f"{len(calibration)} train faces; {manifest_path} updated")


if __name__ == "__main__":
    main()
