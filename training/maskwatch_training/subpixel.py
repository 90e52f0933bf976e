"""Rewrites the SR network's transposed convolutions as ordinary convolutions.

ONNX Runtime's CPU ConvTranspose is a GEMM followed by a scatter (col2im) and
has no int8 kernel, so it took two thirds of the SR network's time in fp32
and all of it stayed in fp32 after quantization. Both forms below compute
exactly the same function, so the rewritten graph is the same model:

- a 4x4, stride-2, pad-1 transposed convolution is four 2x2 convolutions,
  one per output phase (even/odd row, even/odd column), each reading its own
  two taps of the kernel per axis; their outputs are concatenated and
  interleaved by DepthToSpace (DCR order: phase-major channels);
- a stride-1 transposed convolution is a convolution with the kernel
  flipped and its in/out channels swapped, padded by `k - 1 - pad`.

Derivation of the phase taps (per axis, output row `o = 2m + a`): the
transposed convolution adds `x[i] * w[k]` wherever `o = 2i - 1 + k`, so
phase 0 takes `x[m-1]` with `k = 3` and `x[m]` with `k = 1`, and phase 1
takes `x[m]` with `k = 2` and `x[m+1]` with `k = 0`.

    python -m maskwatch_training.subpixel SOURCE.onnx TARGET.onnx
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

# Kernel taps read by each output phase, in input order (x[m-1], x[m]) for
# phase 0 and (x[m], x[m+1]) for phase 1, with the padding that lines them up.
PHASE_TAPS = {0: [3, 1], 1: [2, 0]}
PHASE_PADS = {0: (1, 0), 1: (0, 1)}  # (before, after)


def attributes(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def is_stride2_k4(attrs: dict) -> bool:
    return (attrs.get("kernel_shape") == [4, 4] and attrs.get("strides") == [2, 2]
            and attrs.get("pads") == [1, 1, 1, 1] and attrs.get("group", 1) == 1
            and attrs.get("dilations", [1, 1]) == [1, 1] and not attrs.get("output_padding"))


def is_stride1(attrs: dict) -> bool:
    k = attrs.get("kernel_shape", [])
    p = attrs.get("pads", [0, 0, 0, 0])
    return (attrs.get("strides", [1, 1]) == [1, 1] and attrs.get("group", 1) == 1
            and len(k) == 2 and p[0] == p[2] and p[1] == p[3]
            and attrs.get("dilations", [1, 1]) == [1, 1] and not attrs.get("output_padding"))


def phase_convs(node, weight: np.ndarray, bias: np.ndarray | None):
    """Nodes and initialisers replacing one stride-2 transposed convolution."""
    nodes, inits, outputs = [], [], []
    for a in (0, 1):
        for b in (0, 1):
            tag = f"{node.name}/phase{a}{b}"
            # weight is [in, out, ky, kx]; a convolution wants [out, in, ky, kx].
            w = weight[:, :, PHASE_TAPS[a]][:, :, :, PHASE_TAPS[b]].transpose(1, 0, 2, 3)
            inputs = [node.input[0], f"{tag}/weight"]
            inits.append(numpy_helper.from_array(np.ascontiguousarray(w), inputs[1]))
            if bias is not None:
                inputs.append(node.input[2])
            (top, bottom), (left, right) = PHASE_PADS[a], PHASE_PADS[b]
            out = f"{tag}/output"
            nodes.append(helper.make_node("Conv", inputs, [out], name=tag, kernel_shape=[2, 2],
                                          strides=[1, 1], pads=[top, left, bottom, right]))
            outputs.append(out)
    joined = f"{node.name}/phases"
    nodes.append(helper.make_node("Concat", outputs, [joined], name=joined, axis=1))
    nodes.append(helper.make_node("DepthToSpace", [joined], [node.output[0]],
                                  name=f"{node.name}/interleave", blocksize=2, mode="DCR"))
    return nodes, inits


def flipped_conv(node, weight: np.ndarray, attrs: dict):
    """The convolution equal to a stride-1 transposed convolution."""
    k = attrs["kernel_shape"]
    p = attrs.get("pads", [0, 0, 0, 0])
    w = np.ascontiguousarray(weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
    name = f"{node.name}/as_conv/weight"
    pads = [k[0] - 1 - p[0], k[1] - 1 - p[1], k[0] - 1 - p[2], k[1] - 1 - p[3]]
    inputs = [node.input[0], name] + list(node.input[2:3])
    conv = helper.make_node("Conv", inputs, list(node.output), name=f"{node.name}/as_conv",
                            kernel_shape=k, strides=[1, 1], pads=pads)
    return [conv], [numpy_helper.from_array(w, name)]


def rewrite(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int]:
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    new_nodes, new_inits, dropped, count = [], [], set(), 0
    for node in graph.node:
        if node.op_type != "ConvTranspose" or node.input[1] not in inits:
            new_nodes.append(node)
            continue
        attrs = attributes(node)
        weight = numpy_helper.to_array(inits[node.input[1]])
        bias = numpy_helper.to_array(inits[node.input[2]]) if len(node.input) > 2 else None
        if is_stride2_k4(attrs):
            nodes, extra = phase_convs(node, weight, bias)
        elif is_stride1(attrs):
            nodes, extra = flipped_conv(node, weight, attrs)
        else:
            new_nodes.append(node)
            continue
        new_nodes.extend(nodes)
        new_inits.extend(extra)
        dropped.add(node.input[1])
        count += 1
    kept = [i for i in graph.initializer if i.name not in dropped]
    del graph.node[:]
    graph.node.extend(new_nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    onnx.checker.check_model(model)
    return model, count


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    model, count = rewrite(onnx.load(str(args.source)))
    onnx.save(model, str(args.target))
    print(f"{args.target}: {count} transposed convolutions rewritten")


if __name__ == "__main__":
    main()
