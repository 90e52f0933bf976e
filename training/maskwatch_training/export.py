"""ONNX export of both networks with the I/O names and dynamic batch the Rust side expects."""
from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

OPSET = 17


class WithSoftmax(nn.Module):
    """The classifier as shipped: ImageNet-normalised image in, class probabilities out."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(image), dim=1)


def _export(model: nn.Module, path: Path, out_name: str) -> str:
    model.eval()
    dummy = torch.rand(2, 3, 224, 224)
    tmp = path.with_suffix(".onnx.tmp")
    torch.onnx.export(model, (dummy,), str(tmp), input_names=["image"], output_names=[out_name],
                      dynamic_axes={"image": {0: "batch"}, out_name: {0: "batch"}},
                      opset_version=OPSET, dynamo=False)
    tmp.replace(path)  # atomic: the Rust side never sees a half-written file
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_sr(net: nn.Module, path: Path) -> str:
    """SR: `image` [N,3,224,224] in [0,1] -> `restored`, same shape. Returns sha256."""
    return _export(net, path, "restored")


def export_classifier(net: nn.Module, path: Path) -> str:
    """Classifier: normalised `image` -> `probabilities` [N,3] (softmax inside). Returns sha256."""
    return _export(WithSoftmax(net), path, "probabilities")
