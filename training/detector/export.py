"""Export trained nets to ONNX with the original tensor names and NWHC layout.

Dynamic batch axis everywhere, dynamic spatial axes for P-Net (the Rust
pipeline feeds it whole pyramid levels). Opset 13.
"""
import argparse
import hashlib
from pathlib import Path

import torch

from .nets import IO_NAMES, NETS
from .voc import CACHE

OUT = Path(__file__).resolve().parents[2] / "models" / "detector"
SIDES = {"pnet": 12, "rnet": 24, "onet": 48}


def export(name, state_path, out_path):
    net = NETS[name]()
    net.load_state_dict(torch.load(state_path, map_location="cpu"))
    net.eval()
    ins, outs = IO_NAMES[name]
    side = SIDES[name]
    dummy = torch.zeros(2, side + (20 if name == "pnet" else 0), side + (10 if name == "pnet" else 0), 3)
    axes = {ins[0]: {0: "batch", 1: "width", 2: "height"} if name == "pnet" else {0: "batch"}}
    for o in outs:
        axes[o] = {0: "batch", 1: "columns", 2: "rows"} if name == "pnet" else {0: "batch"}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(net, dummy, str(out_path), input_names=ins, output_names=outs,
                      dynamic_axes=axes, opset_version=13, do_constant_folding=True, dynamo=False)
    digest = hashlib.sha256(out_path.read_bytes()).hexdigest()
    print(name, out_path, digest)
    return digest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--tags", nargs=3, default=["", "", "_r2"], metavar=("P", "R", "O"),
                    help="suffixes of the .cache/detector/{pnet,rnet,onet}TAG.pt states to export")
    ap.add_argument("--nets", nargs="+", default=list(SIDES))
    a = ap.parse_args()
    tags = dict(zip(SIDES, a.tags))
    for name in a.nets:
        export(name, CACHE / f"{name}{tags[name]}.pt", a.out / f"{name}.onnx")


if __name__ == "__main__":
    main()
