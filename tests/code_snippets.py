#!/usr/bin/python3
"""`convscope-cli code`: the generated code is run, and must give PyTorch's numbers.

  PyTorch  the script is run with /usr/bin/python3 on tensors saved in a folder, and again with its own seeded
           random tensors; the printed shape and cursor value must equal live PyTorch on the same tensors
           (the layer string built as a real torch.nn module, or for Keras layers F.pad with TF's pads computed
           here independently, then F.conv).
  NumPy    the loop nest is run the same way (float32 sums in another order: tolerance 1e-4 relative).
  Keras    TensorFlow is not installed here: the snippet is compiled (py_compile) and the shapes it states (input,
           kernel, expected output) and its padding layer are checked against PyTorch's output, channels-last.
  ONNX     the exported folder passes onnx.checker.check_model and `convscope-cli onnx-check`, and its expected
           output equals live PyTorch run on the model's own initializers and input.
Layers: the six seed layers, grouped, dilated, every padding mode, 'same' with an even kernel, Conv1d (batched and
not), and Keras Conv2D/Conv1D with uneven 'same' pads and 'causal'.

Usage: code_snippets.py --cli build/convscope-cli
"""
import argparse
import math
import os
import py_compile
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch import nn  # noqa: F401  (eval of the layer strings)

FAILURES = []
PY = "/usr/bin/python3"

# (name, layer, input shape as `shape` takes it, smaller input for the NumPy loop nest or None, cursor --at)
CASES = [
    ("seed1", "Conv2d(3, 192, kernel_size=5, stride=1, padding=2)", [1, 3, 32, 32], [1, 3, 7, 6], "0,191,0,5"),
    ("seed2", "Conv2d(1, 6, 5)", [3, 1, 28, 28], [2, 1, 9, 8], "1,5,4,3"),
    ("seed3", "Conv2d(3, 64, (3, 3), stride=(1, 1), padding='same')", [60, 3, 32, 32], [2, 3, 6, 7], "1,63,0,6"),
    ("seed4", "nn.Conv1d(768, 100, 2)", [6, 768, 512], [1, 768, 4], "0,99,2"),
    ("seed5", "Conv2d(16, 16, 3, padding = 1)", [1, 16, 32, 32], [1, 16, 5, 5], "0,15,4,0"),
    ("seed6", "Conv2d(3, 32, 5)", [1, 3, 28, 28], [1, 3, 9, 9], "0,31,4,4"),
    ("grouped", "Conv2d(6, 9, (3, 2), stride=(2, 1), groups=3, bias=False)", [2, 6, 9, 7], None, "1,8,3,5"),
    ("dilated", "Conv2d(2, 3, 3, dilation=2, padding=(2, 1))", [1, 2, 9, 7], None, "0,2,8,4"),
    ("zeros", "Conv2d(2, 3, 3, padding=(1, 2))", [1, 2, 6, 5], None, "0,1,0,6"),
    ("reflect", "Conv2d(2, 3, 3, padding=(1, 2), padding_mode='reflect')", [1, 2, 6, 5], None, "0,1,0,6"),
    ("replicate", "Conv2d(2, 3, 3, stride=2, padding=2, padding_mode='replicate')", [2, 2, 7, 6], None, "1,2,4,0"),
    ("circular", "Conv2d(2, 3, (2, 3), padding=(1, 2), padding_mode='circular')", [1, 2, 5, 6], None, "0,0,5,7"),
    ("same_even_kernel_reflect", "Conv2d(2, 3, 4, padding='same', dilation=2, padding_mode='reflect')", [1, 2, 9, 8],
     None, "0,2,8,7"),
    ("conv1d_circular", "Conv1d(4, 6, 3, stride=2, padding=1, padding_mode='circular')", [2, 4, 11], None, "1,5,5"),
    ("conv1d_same_even", "Conv1d(2, 4, 4, padding='same')", [1, 2, 9], None, "0,3,8"),
    ("conv1d_unbatched", "Conv1d(2, 3, 3)", [2, 9], None, "2,6"),
    ("conv2d_unbatched_nobias", "Conv2d(2, 3, 3, padding=1, bias=False)", [2, 5, 4], None, "1,4,3"),
    ("keras_same_strided", "Conv2D(4, 3, strides=2, padding='same')", [1, 8, 8, 3], None, "0,3,3,3"),
    ("keras_same_even", "Conv2D(filters=5, kernel_size=(2, 4), strides=(3, 2), padding='same', use_bias=False)",
     [2, 7, 9, 2], None, "1,4,2,4"),
    ("keras_causal", "Conv1D(3, 3, padding='causal', dilation_rate=2)", [2, 10, 4], None, "1,2,0"),
    ("keras_valid_grouped", "keras.layers.Conv1D(4, 2, strides=3, groups=2)", [1, 11, 6], None, "0,3,3"),
]


def expect(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f"\n     {detail}"))
    if not cond:
        FAILURES.append(name)


def tf_pads(rule, n, k, s, d):
    span = (k - 1) * d + 1
    if rule == "valid":
        return 0, 0
    if rule == "causal":
        return span - 1, 0
    out = math.ceil(n / s)
    total = max(0, (out - 1) * s + span - n)
    return total // 2, total - total // 2


def keras_args(text):
    """Conv1D/Conv2D arguments, bound the way Keras binds them (enough for the cases above)."""
    inner = text[text.index("(") + 1:-1]

    def build(*args, **kw):
        names = ["filters", "kernel_size", "strides", "padding"]
        d = dict(zip(names, args))
        d.update(kw)
        return d
    return eval("build(" + inner + ")", {"build": build})


class Oracle:
    """The layer as PyTorch computes it: (torch input, weight shape, bias?, function(x, w, b) -> y)."""

    def __init__(self, text, shape):
        self.keras = "Conv1D" in text or "Conv2D" in text
        if not self.keras:
            self.module = eval("nn." + text.replace("nn.", ""))
            self.input_shape = shape
            self.weight_shape = tuple(self.module.weight.shape)
            self.has_bias = self.module.bias is not None
            return
        a = keras_args(text)
        dims = 1 if "Conv1D" in text else 2
        tup = (lambda v: (v,) * dims if isinstance(v, int) else tuple(v))
        self.k, self.s = tup(a["kernel_size"]), tup(a.get("strides", 1))
        self.d, self.g = tup(a.get("dilation_rate", 1)), a.get("groups", 1)
        self.rule, self.dims = a.get("padding", "valid"), dims
        self.spatial = shape[1:-1]
        self.input_shape = [shape[0], shape[-1], *shape[1:-1]]  # PyTorch order
        self.weight_shape = (a["filters"], shape[-1] // self.g, *self.k)
        self.has_bias = a.get("use_bias", True)

    def run(self, x, w, b):
        with torch.no_grad():
            if not self.keras:
                self.module.weight.copy_(w)
                if self.has_bias:
                    self.module.bias.copy_(b)
                return self.module(x)
            pads = [tf_pads(self.rule, n, k, s, d) for n, k, s, d in zip(self.spatial, self.k, self.s, self.d)]
            flat = [p for pair in reversed(pads) for p in pair]  # F.pad: last axis first
            conv = F.conv1d if self.dims == 1 else F.conv2d
            return conv(F.pad(x, flat), w, b, stride=self.s, dilation=self.d, groups=self.g)


def printed(stdout):
    shape = re.search(r"output shape: \(([^)]*)\)", stdout)
    value = re.search(r"\] = (\S+)", stdout)
    if not shape or not value:
        return None, None
    return tuple(int(v) for v in shape.group(1).split(",") if v.strip()), float(value.group(1))


def at_index(at):
    return tuple(int(v) for v in at.split(","))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    cli = ap.parse_args().cli

    def code(*args):
        return subprocess.run([cli, "code", *args], capture_output=True, text=True, timeout=120)

    def run_script(path, data):
        return subprocess.run([PY, path, data], capture_output=True, text=True, timeout=600)

    rng = np.random.default_rng(15)
    with tempfile.TemporaryDirectory() as tmp:
        for name, text, shape, small, at in CASES:
            for framework, inp in (("pytorch", shape), ("numpy", small or shape)):
                oracle = Oracle(text, inp)
                data = os.path.join(tmp, f"{name}_{framework}_data")
                os.makedirs(data)
                x = rng.standard_normal(oracle.input_shape).astype(np.float32)
                w = rng.standard_normal(oracle.weight_shape).astype(np.float32)
                b = rng.standard_normal(oracle.weight_shape[0]).astype(np.float32)
                np.save(os.path.join(data, "input.npy"), x)
                np.save(os.path.join(data, "weight.npy"), w)
                if oracle.has_bias:
                    np.save(os.path.join(data, "bias.npy"), b)
                y = oracle.run(torch.from_numpy(x), torch.from_numpy(w),
                               torch.from_numpy(b) if oracle.has_bias else None)
                idx = at_index(at)
                if framework == "numpy" and small:
                    idx = tuple(min(i, n - 1) for i, n in zip(idx, y.shape))
                script = os.path.join(tmp, f"{name}_{framework}.py")
                p = code("--framework", framework, "--input", ",".join(map(str, inp)), text,
                         "--at", ",".join(map(str, idx)), "--data", data, "--output", script)
                if p.returncode != 0:
                    expect(f"{framework}: {name} {text}", False, p.stderr)
                    continue
                r = run_script(script, data)
                got_shape, got = printed(r.stdout)
                want = float(y[idx])
                tol = (1e-6 if framework == "pytorch" else 1e-4) * max(1.0, abs(want))
                expect(f"{framework}: {name} {text} on {inp}: y{list(idx)} = {want:.6g}",
                       r.returncode == 0 and got_shape == tuple(y.shape) and got is not None and abs(got - want) <= tol,
                       f"printed {got_shape} {got}, PyTorch {tuple(y.shape)} {want}\n{r.stderr[-2000:]}")

        # Seeded random tensors (no files): the script's numbers are torch.manual_seed(seed) + randn in its order.
        for name, text, shape, _, at in [CASES[1], CASES[17], CASES[15]]:
            oracle = Oracle(text, shape)
            script = os.path.join(tmp, f"{name}_seeded.py")
            p = code("--framework", "pytorch", "--input", ",".join(map(str, shape)), text, "--at", at, "--seed", "7",
                     "--data", os.path.join(tmp, "nothing-here"), "--output", script)
            r = run_script(script, os.path.join(tmp, "nothing-here"))
            torch.manual_seed(7)
            x = torch.randn(oracle.input_shape)
            w = torch.randn(oracle.weight_shape)
            b = torch.randn(oracle.weight_shape[0]) if oracle.has_bias else None
            y = oracle.run(x, w, b)
            got_shape, got = printed(r.stdout)
            want = float(y[at_index(at)])
            expect(f"pytorch, seeded random tensors: {name}", p.returncode == 0 and r.returncode == 0 and
                   got_shape == tuple(y.shape) and got is not None and abs(got - want) <= 1e-6 * max(1.0, abs(want)),
                   f"{got_shape} {got} vs {tuple(y.shape)} {want}\n{p.stderr}{r.stderr[-1500:]}")

        # Keras: compiles; the shapes it states are PyTorch's, channels-last; uneven pads become ZeroPadding.
        for name, text, shape, _, at in CASES:
            oracle = Oracle(text, shape)
            script = os.path.join(tmp, f"{name}_keras.py")
            p = code("--framework", "keras", "--input", ",".join(map(str, shape)), text, "--at", at, "--output", script)
            modes = re.search(r"padding_mode='(\w+)'", text)
            if modes and modes.group(1) != "zeros":
                expect(f"keras: {name} refused (Keras pads with zeros only)",
                       p.returncode == 1 and "zeros only" in p.stderr, p.stderr)
                continue
            if p.returncode != 0:
                expect(f"keras: {name}", False, p.stderr)
                continue
            src = open(script).read()
            try:
                py_compile.compile(script, doraise=True)
                compiled = True
            except py_compile.PyCompileError as e:
                compiled, src = False, str(e)
            x = torch.zeros(oracle.input_shape)
            y = oracle.run(x, torch.zeros(oracle.weight_shape), torch.zeros(oracle.weight_shape[0]) if oracle.has_bias else None)
            batched = len(oracle.input_shape) == len(oracle.weight_shape)
            ys = list(y.shape) if batched else [1, *y.shape]
            xs = list(oracle.input_shape) if batched else [1, *oracle.input_shape]
            last = lambda s: tuple([s[0], *s[2:], s[1]])  # noqa: E731
            kernel = tuple([*oracle.weight_shape[2:], oracle.weight_shape[1], oracle.weight_shape[0]])
            stated_out = re.search(r"# expected (\([^)]*\))", src)
            stated_kernel = re.search(r"kernel = np\.transpose\(weight, [^)]*\)\)  # (\([^)]*\))", src)
            stated_x = re.search(r"x = np\.transpose\(x_torch, [^)]*\)\)  # (\([^)]*\))", src)
            ok = (compiled and stated_out and eval(stated_out.group(1)) == last(ys) and stated_kernel
                  and eval(stated_kernel.group(1)) == kernel and stated_x and eval(stated_x.group(1)) == last(xs))
            expect(f"keras: {name} compiles and states input {last(xs)}, kernel {kernel}, output {last(ys)}", bool(ok),
                   src[-1500:])
        p = code("--framework", "keras", "--input", "1,2,6,5", "Conv2d(2, 3, 3, padding=(1, 2))")
        expect("keras: PyTorch padding=(1, 2) on 6x5 becomes ZeroPadding2D(((1, 1), (2, 2))) + 'valid'",
               p.returncode == 0 and "keras.layers.ZeroPadding2D(padding=((1, 1), (2, 2)))" in p.stdout
               and "padding='valid'" in p.stdout, p.stdout + p.stderr)
        p = code("--framework", "keras", "--input", "1,8,8,3", "Conv2D(4, 3, strides=2, padding='same')")
        expect("keras: a Keras 'same' layer is written back as padding='same'",
               p.returncode == 0 and "padding='same'" in p.stdout and "ZeroPadding" not in p.stdout, p.stdout + p.stderr)
        p = code("--framework", "keras", "--input", "2,10,4", "Conv1D(3, 3, padding='causal', dilation_rate=2)")
        expect("keras: 'causal' stays 'causal'", p.returncode == 0 and "padding='causal'" in p.stdout, p.stdout + p.stderr)
        p = code("--framework", "keras", "--input", "1,2,9,9", "Conv2d(2, 3, 3, stride=2, dilation=2)")
        expect("keras: strides > 1 with dilation > 1 refused in convscope's words",
               p.returncode == 1 and "does not combine strides > 1 with dilation_rate > 1" in p.stderr, p.stderr)

        # ONNX: checker, onnx-check, expected output = live PyTorch on the model's own tensors.
        for name, text, shape, small, at in CASES:
            if re.search(r"padding_mode='(reflect|replicate|circular)'", text):
                continue
            inp = small or shape
            out = os.path.join(tmp, f"{name}_onnx")
            p = code("--framework", "onnx", "--input", ",".join(map(str, inp)), text, "--output", out, "--seed", "3")
            if p.returncode != 0:
                expect(f"onnx: {name}", False, p.stderr)
                continue
            model = onnx.load(os.path.join(out, "model.onnx"))
            try:
                onnx.checker.check_model(model)
                checked = True
            except onnx.checker.ValidationError as e:
                checked = False
                print(e)
            inits = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
            x = numpy_helper.to_array(onnx.load_tensor(os.path.join(out, "test_data_set_0", "input_0.pb")))
            expected = numpy_helper.to_array(onnx.load_tensor(os.path.join(out, "test_data_set_0", "output_0.pb")))
            oracle = Oracle(text, inp)
            xt = torch.from_numpy(x.copy())
            if xt.dim() != len(oracle.input_shape):
                xt = xt[0]  # the export added a batch axis to an unbatched input
            y = oracle.run(xt, inits["weight"], inits.get("bias"))
            y = y.numpy().reshape(expected.shape)
            close = np.allclose(expected, y, rtol=1e-5, atol=1e-5)
            c = subprocess.run([cli, "onnx-check", out], capture_output=True, text=True, timeout=120)
            opset = [o.version for o in model.opset_import]
            expect(f"onnx: {name} passes check_model and onnx-check; expected output = PyTorch (opset {opset})",
                   checked and close and c.returncode == 0 and [n.op_type for n in model.graph.node] == ["Conv"],
                   f"close={close} onnx-check: {c.stdout[-800:]}{c.stderr}")
        p = code("--framework", "onnx", "--input", "1,2,6,5", "Conv2d(2, 3, 3, padding=1, padding_mode='reflect')",
                 "--output", os.path.join(tmp, "reflect_onnx"))
        expect("onnx: padding_mode='reflect' refused (ONNX's Conv pads with zeros)",
               p.returncode == 1 and "zeros only" in p.stderr, p.stderr)
        data = os.path.join(tmp, "seed2_pytorch_data")
        p = code("--framework", "onnx", "--input", "3,1,28,28", "Conv2d(1, 6, 5)", "--data", data,
                 "--output", os.path.join(tmp, "from_data"))
        stored = numpy_helper.to_array(onnx.load_tensor(os.path.join(tmp, "from_data", "test_data_set_0", "input_0.pb")))
        expect("onnx: --data DIR's input.npy is the stored input",
               p.returncode == 0 and np.array_equal(stored, np.load(os.path.join(data, "input.npy"))), p.stderr)

        # Files are never overwritten without --force; usage errors exit 2.
        target = os.path.join(tmp, "seed1_pytorch.py")
        before = open(target).read()
        p = code("--framework", "pytorch", "--input", "1,3,8,8", "Conv2d(3, 4, 3)", "--output", target)
        expect("an existing --output is kept without --force (exit 2)",
               p.returncode == 2 and "--force" in p.stderr and open(target).read() == before, p.stderr)
        p = code("--framework", "onnx", "--input", "1,3,8,8", "Conv2d(3, 4, 3)", "--output", os.path.join(tmp, "from_data"))
        expect("an existing ONNX folder is kept without --force (exit 2)", p.returncode == 2 and "--force" in p.stderr,
               p.stderr)
        p = code("--framework", "onnx", "--input", "1,3,8,8", "Conv2d(3, 4, 3)", "--output", os.path.join(tmp, "from_data"),
                 "--force")
        expect("--force replaces it", p.returncode == 0, p.stderr)
        p = code("--framework", "pytorch", "--input", "1,3,8,8", "MaxPool2d(2)")
        expect("a pooling layer is refused by name (exit 1)", p.returncode == 1 and "MaxPool2d" in p.stderr, p.stderr)
        p = code("--framework", "pytorch", "--input", "1,3,8,8", "Conv2d(3, 4, 3)", "--at", "0,4,0,0")
        expect("a cursor outside the output is refused naming the shape", p.returncode == 1 and "[1, 4, 6, 6]" in p.stderr,
               p.stderr)
        p = code("--framework", "pytorch", "--input", "1,3,8,8", "Conv2d(3, 4, 3, stride=2, padding='same')")
        expect("PyTorch's own error for strided 'same'", p.returncode == 1 and
               "padding='same' is not supported for strided convolutions" in p.stderr, p.stderr)
        p = code("--framework", "onnx", "--input", "1,3,8,8", "Conv2d(3, 4, 3)")
        expect("onnx without --output is a usage error", p.returncode == 2, p.stderr)

        # A scene: its layer, input shape and cursor.
        scene = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "assets", "scenes", "seed4_conv1d_text.json")
        p = code("--framework", "numpy", "--scene", scene)
        expect("--scene gives the scene's layer as code", p.returncode == 0 and "for ox in range(L_out):" in p.stdout,
               p.stderr)

    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
