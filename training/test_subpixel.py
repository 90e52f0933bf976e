"""The sub-pixel rewrite of the SR network computes the same function.

Run from the repository root: training/.venv/bin/python training/test_subpixel.py
"""
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parent))
from maskwatch_training import subpixel  # noqa: E402

MODEL = Path(__file__).resolve().parents[1] / "models" / "super_resolution.onnx"


def main() -> None:
    rewritten, count = subpixel.rewrite(onnx.load(str(MODEL)))
    assert count == 6, f"expected 6 transposed convolutions, rewrote {count}"
    assert not any(n.op_type == "ConvTranspose" for n in rewritten.graph.node)
    x = np.random.default_rng(0).random((3, 3, 224, 224), dtype=np.float32)
    providers = ["CPUExecutionProvider"]
    original = ort.InferenceSession(str(MODEL), providers=providers).run(None, {"image": x})[0]
    session = ort.InferenceSession(rewritten.SerializeToString(), providers=providers)
    result = session.run(None, {"image": x})[0]
    gap = float(np.abs(original - result).max())
    assert gap < 1e-5, f"largest difference {gap}"
    print(f"sub-pixel rewrite: {count} layers, largest difference {gap:.1e}")


if __name__ == "__main__":
    main()
