"""Export check: the ONNX models agree with the PyTorch ones (1e-4) on real val crops.

Run after the pipeline (it leaves the PyTorch weights in training/.cache):
    training/.venv/bin/python training/test_export.py   (or with pytest)
"""
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from maskwatch_training.classifier_model import build, normalise  # noqa: E402
from maskwatch_training.common import CACHE, MODELS  # noqa: E402
from maskwatch_training.data import SR_MAX_SIDE, resolve_data_root, voc_faces  # noqa: E402
from maskwatch_training.evaluate import contract_inputs  # noqa: E402
from maskwatch_training.sr_data import to_tensor  # noqa: E402
from maskwatch_training.sr_model import SRCNet  # noqa: E402

TOL = 1e-4


def _val_batch(n: int = 24):
    """Contract crops of val faces: small ones (SR path) and the largest ones (no-SR path)."""
    val = [f for f in voc_faces(resolve_data_root(None)) if f.split == "val"]
    val.sort(key=lambda f: f.side)
    pick = val[:: max(1, len(val) // n)][:n - 2] + val[-2:]
    raw, sides, _ = contract_inputs(pick)
    return to_tensor(raw), sides


def _models():
    sr = SRCNet()
    sr.load_state_dict(torch.load(CACHE / "final_sr.pt"))
    cls = build(False, 0)
    cls.load_state_dict(torch.load(CACHE / "final_classifier.pt"))
    return sr.eval(), cls.eval()


def test_onnx_matches_pytorch():
    torch.set_num_threads(2)
    x, sides = _val_batch()
    sr, cls = _models()
    sr_ort = ort.InferenceSession(str(MODELS / "super_resolution.onnx"), providers=["CPUExecutionProvider"])
    cls_ort = ort.InferenceSession(str(MODELS / "classifier.onnx"), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        restored = sr(x)
        use = torch.from_numpy(sides <= SR_MAX_SIDE)
        cls_in = normalise(torch.where(use.view(-1, 1, 1, 1), restored, x))
        probs = torch.softmax(cls(cls_in), 1)
    (restored_o,) = sr_ort.run(["restored"], {"image": x.numpy()})
    (probs_o,) = cls_ort.run(["probabilities"], {"image": cls_in.numpy()})
    d_sr = np.abs(restored_o - restored.numpy()).max()
    d_cls = np.abs(probs_o - probs.numpy()).max()
    print(f"{len(x)} val crops (sides {sides.min()}..{sides.max()}): max |diff| SR {d_sr:.2e}, classifier {d_cls:.2e}")
    assert restored_o.shape == (len(x), 3, 224, 224) and probs_o.shape == (len(x), 3)
    assert d_sr < TOL and d_cls < TOL
    assert np.allclose(probs_o.sum(1), 1.0, atol=1e-5)
    # Batch 1 too: the batch axis is dynamic.
    (one,) = cls_ort.run(["probabilities"], {"image": cls_in[:1].numpy()})
    assert np.abs(one - probs.numpy()[:1]).max() < TOL


if __name__ == "__main__":
    test_onnx_matches_pytorch()
    print("ok")
