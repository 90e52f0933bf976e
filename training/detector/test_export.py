"""Check that the exported ONNX detector nets agree with PyTorch on real crops.

Run: training/.venv/bin/python training/detector/test_export.py [--models DIR] [--tags P R O]
     [--nets onet]
Takes real val photos (contrast-stretched), a whole pyramid level for P-Net
(dynamic spatial axes) and pipeline-style window crops for R-Net / O-Net, and
asserts max |PyTorch - ONNX Runtime| < 1e-4 for every output, with the tensor
names the Rust manifest expects.
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import torch  # noqa: E402

from detector.cascade import normalise, window_crop  # noqa: E402
from detector.export import OUT  # noqa: E402
from detector.nets import IO_NAMES, NETS  # noqa: E402
from detector.voc import CACHE, annotations, photo, split_ids  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=Path, default=OUT)
    ap.add_argument("--tags", nargs=3, default=["", "", "_r2"], metavar=("P", "R", "O"))
    ap.add_argument("--nets", nargs="+", default=["pnet", "rnet", "onet"], help="which exports to check")
    a = ap.parse_args()
    names = split_ids("val")[:3]
    worst = 0.0
    for name, tag in zip(("pnet", "rnet", "onet"), a.tags):
        if name not in a.nets:
            continue
        net = NETS[name]()
        net.load_state_dict(torch.load(CACHE / f"{name}{tag}.pt", map_location="cpu"))
        net.eval()
        sess = ort.InferenceSession(str(a.models / f"{name}.onnx"), providers=["CPUExecutionProvider"])
        ins, outs = IO_NAMES[name]
        assert [i.name for i in sess.get_inputs()] == ins, sess.get_inputs()
        assert [o.name for o in sess.get_outputs()] == outs, sess.get_outputs()
        for pid in names:
            img = photo(pid)
            if name == "pnet":
                x = normalise(img[: img.shape[0] // 2, : img.shape[1] // 2])[None]
            else:
                side = 24 if name == "rnet" else 48
                gts, _ = annotations(pid)
                wins = [[g[0] + 1, g[1] + 1, g[0] + max(g[2] - g[0], g[3] - g[1]), g[1] + max(g[2] - g[0], g[3] - g[1])]
                        for g in gts.astype(int)]
                x = np.stack([normalise(window_crop(img, np.array(w, np.float32), side)) for w in wins])
            x = np.ascontiguousarray(x, dtype=np.float32)
            ref = sess.run(None, {ins[0]: x})
            with torch.no_grad():
                got = [t.numpy() for t in net(torch.from_numpy(x))]
            for r, g, o in zip(ref, got, outs):
                assert r.shape == g.shape, (name, o, r.shape, g.shape)
                d = float(np.abs(r - g).max())
                worst = max(worst, d)
                assert d < 1e-4, f"{name} {o} differs by {d}"
        print(f"{name}: ONNX Runtime == PyTorch on {len(names)} val photos (input {x.shape})")
    print(f"OK, worst max abs diff {worst:.2e}")


if __name__ == "__main__":
    main()
