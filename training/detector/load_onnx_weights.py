"""Load the public MTCNN ONNX initializers into the PyTorch nets.

The graphs are walked in node order: each Conv/MatMul (+Add bias) and PRelu
fills the next matching PyTorch module in registration order. Output heads
are matched by their ONNX output names, since the head order in the graph
differs from ours.
"""
from pathlib import Path

import onnx
import torch
from onnx import numpy_helper

from .nets import NETS

ORIGINAL = Path(__file__).resolve().parents[2] / "models" / "mtcnn"
# Which ONNX head (final Add/Conv output) feeds which PyTorch head.
_HEADS = {
    "pnet": {"convolution_output": "reg", "convolution_output1": "cls"},
    "rnet": {"dense_2": "reg", "biased_tensor_name1": "cls"},
    "onet": {"dense_5": "reg", "dense_6": "lmk", "biased_tensor_name2": "cls"},
}


def load(name: str, path: Path | None = None):
    """A PyTorch `name` net ("pnet", "rnet", "onet") with the ONNX file's weights."""
    model = onnx.load(str(path or ORIGINAL / f"{name}.onnx"))
    init = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    net = NETS[name]()
    body = [m for m in net.body.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.PReLU))]
    body += [m for m in getattr(net, "fc", torch.nn.Sequential()).modules() if isinstance(m, (torch.nn.Linear, torch.nn.PReLU))]
    heads = _HEADS[name]
    nodes = list(model.graph.node)
    pending_matmul = {}  # output name -> weight, waiting for its Add
    trunk = iter(body)
    with torch.no_grad():
        for node in nodes:
            if node.op_type == "Conv":
                w, b = init[node.input[1]], init[node.input[2]]
                head = heads.get(node.output[0])
                mod = getattr(net, head) if head else next(trunk)
                mod.weight.copy_(w)
                mod.bias.copy_(b)
            elif node.op_type == "PRelu":
                next(trunk).weight.copy_(init[node.input[1]].reshape(-1))
            elif node.op_type == "MatMul":
                pending_matmul[node.output[0]] = init[node.input[1]]
            elif node.op_type == "Add":
                w = pending_matmul.pop(node.input[0])
                head = heads.get(node.output[0])
                mod = getattr(net, head) if head else next(trunk)
                mod.weight.copy_(w.T)
                mod.bias.copy_(init[node.input[1]])
    assert not pending_matmul and next(trunk, None) is None, "unmatched layers"
    return net.eval()


def load_exported(name: str, path: Path):
    """A PyTorch `name` net with the weights of a file written by `detector.export`
    (models/detector/): initializers keep the state-dict names, except the PReLU
    slopes, which the exporter renames and reshapes; those come in module order."""
    model = onnx.load(str(path))
    init = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in model.graph.initializer}
    net = NETS[name]()
    state = net.state_dict()
    prelu_keys = [k for k in state if k not in init]
    prelu_values = [init[n] for n in sorted((n for n in init if n not in state),
                                            key=lambda n: int(n.rsplit("_", 1)[1]))]
    assert len(prelu_keys) == len(prelu_values), f"{path}: unmatched initializers"
    for key, value in zip(prelu_keys, prelu_values):
        init[key] = value.reshape(state[key].shape)
    net.load_state_dict({k: init[k] for k in state})
    return net.eval()
