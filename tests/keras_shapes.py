#!/usr/bin/python3
"""Keras layers in `convscope-cli shape`: a table of configurations checked against TensorFlow's padding and shape
formulas, implemented here independently of convscope's C++ (tf_padding.cpp):

  valid:  out = ceil((in - (k-1)*d) / s)                          no padding
  same:   out = ceil(in / s), total = max(0, (out-1)*s + (k-1)*d + 1 - in), before = total // 2, after = the rest
  causal: out = ceil(in / s), (k-1)*d zeros before (Conv1D only)
  params: conv [(prod(kernel) * in/groups) + 1] * filters (no +1 without a bias); Dense (in + 1) * units

TensorFlow itself is not installed here: the oracle is these formulas, as TensorFlow documents them (tf.nn.convolution
and tf.nn.pool). Also checked: the text form, refusals in convscope's own words, mixing conventions.

Usage: keras_shapes.py --cli build/convscope-cli
"""
import argparse
import itertools
import json
import math
import os
import re
import subprocess
import sys

FAILURES = []


def expect(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f"\n     {detail}"))
    if not cond:
        FAILURES.append(name)


def tf_axis(rule, n, k, s, d):
    span = (k - 1) * d + 1
    if rule == "valid":
        return math.ceil((n - span + 1) / s), (0, 0)
    out = math.ceil(n / s)
    if rule == "causal":
        return out, (span - 1, 0)
    total = max(0, (out - 1) * s + span - n)
    return out, (total // 2, total - total // 2)


def tup(v):
    return f"({v[0]},)" if len(v) == 1 else "(" + ", ".join(str(x) for x in v) + ")"


def conv_case(dims, shape, filters, k, s=1, pad="valid", d=1, groups=1, bias=True, style=0):
    ks, ss, ds = [k] * dims if isinstance(k, int) else list(k), [s] * dims if isinstance(s, int) else list(s), \
        [d] * dims if isinstance(d, int) else list(d)
    name = f"Conv{dims}D"
    kt = str(k) if isinstance(k, int) else tup(k)
    st = str(s) if isinstance(s, int) else tup(s)
    dt = str(d) if isinstance(d, int) else tup(d)
    if style == 0:
        args = [str(filters), kt]
    else:
        args = [f"filters={filters}", f"kernel_size={kt}"]
    if ss != [1] * dims:
        args.append(f"strides={st}")
    if pad != "valid" or style == 1:
        args.append(f"padding='{pad}'")
    if ds != [1] * dims:
        args.append(f"dilation_rate={dt}")
    if groups != 1:
        args.append(f"groups={groups}")
    if not bias:
        args.append("use_bias=False")
    text = ("keras.layers." if style == 2 else "") + f"{name}({', '.join(args)})"
    out, pads = [shape[0]], []
    for i in range(dims):
        o, p = tf_axis(pad, shape[1 + i], ks[i], ss[i], ds[i])
        out.append(o)
        pads.append(list(p))
    out.append(filters)
    cin = shape[-1]
    kernel = ks + [cin // groups, filters]
    params = (math.prod(ks) * (cin // groups) + (1 if bias else 0)) * filters
    return dict(input=shape, text=text, output=out, kernel=kernel, bias=[filters] if bias else None, params=params,
                pads=pads)


def pool_case(dims, shape, mode, p=None, s=None, pad="valid"):
    name = ("MaxPooling" if mode == "max" else "AveragePooling") + f"{dims}D"
    args = []
    if p is not None:
        args.append(str(p) if isinstance(p, int) else tup(p))
    if s is not None:
        args.append(f"strides={s if isinstance(s, int) else tup(s)}")
    if pad != "valid":
        args.append(f"padding='{pad}'")
    ps = [2] * dims if p is None else ([p] * dims if isinstance(p, int) else list(p))
    ss = ps if s is None else ([s] * dims if isinstance(s, int) else list(s))
    out, pads = [shape[0]], []
    for i in range(dims):
        o, pp = tf_axis(pad, shape[1 + i], ps[i], ss[i], 1)
        out.append(o)
        pads.append(list(pp))
    out.append(shape[-1])
    return dict(input=shape, text=f"{name}({', '.join(args)})", output=out, kernel=None, bias=None, params=0, pads=pads)


def table():
    cases = []
    # 2-D convolutions: strides 1-3, odd and even kernels, 'same'/'valid', awkward sizes, dilation, groups.
    for (h, w), k, s, pad in itertools.product([(9, 7), (32, 32), (10, 13)], [1, 2, 3, 4, 5], [1, 2, 3],
                                               ["same", "valid"]):
        if pad == "valid" and (k > h or k > w):
            continue
        cases.append(conv_case(2, [2, h, w, 3], 4, k, s, pad, style=(k + s) % 3))
    cases += [
        conv_case(2, [60, 32, 32, 3], 64, (3, 3), 1, "same"),
        conv_case(2, [1, 11, 8, 6], 6, (3, 2), (2, 3), "same", groups=3),
        conv_case(2, [1, 11, 8, 6], 4, (2, 4), 1, "same", d=(2, 1), groups=2, bias=False),
        conv_case(2, [3, 17, 17, 2], 5, 3, 1, "same", d=3),
        conv_case(2, [3, 17, 16, 2], 5, 4, 1, "same", d=2),
        conv_case(2, [3, 17, 16, 2], 5, 3, 1, "valid", d=(2, 3)),
        conv_case(2, [1, 1, 1, 7], 9, 1, 1, "valid"),
        conv_case(2, [1, 1, 1, 7], 9, 3, 2, "same"),
        conv_case(2, [2, 5, 5, 3], 3, 5, 3, "same", style=1),
    ]
    # 1-D convolutions, 'causal' included; Q4's (6, 512, 768) with Conv1D(100, 2).
    cases.append(conv_case(1, [6, 512, 768], 100, 2))
    for n, k, s, pad in itertools.product([7, 16], [1, 2, 3, 4], [1, 2, 3], ["same", "valid", "causal"]):
        cases.append(conv_case(1, [2, n, 3], 5, k, s, pad, style=(n + k) % 3))
    for n, k, d in itertools.product([9, 20], [2, 3], [2, 3]):
        cases.append(conv_case(1, [1, n, 4], 2, k, 1, "causal", d=d))
        cases.append(conv_case(1, [1, n, 4], 2, k, 1, "same", d=d, groups=2))
    # pooling, 1-D and 2-D, default pool size and strides, 'same' with strides that do not divide the size.
    for dims, mode, p, s, pad in itertools.product([1, 2], ["max", "avg"], [None, 2, 3], [None, 1, 2, 3],
                                                   ["valid", "same"]):
        shape = [2, 11, 5] if dims == 1 else [2, 11, 10, 5]
        cases.append(pool_case(dims, shape, mode, p, s, pad))
    cases.append(pool_case(2, [1, 9, 7, 2], "max", (3, 2), (2, 1), "same"))
    cases.append(pool_case(2, [1, 9, 7, 2], "avg", (2, 3), (3, 2), "same"))
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    cli = ap.parse_args().cli

    def shape(inp, *layers, js=True):
        args = [cli, "shape", "--input", ",".join(str(x) for x in inp), *layers] + (["--json"] if js else [])
        return subprocess.run(args, capture_output=True, text=True, timeout=60)

    cases = table()
    expect(f"the table has at least 40 configurations ({len(cases)})", len(cases) >= 40)
    ok = 0
    for c in cases:
        p = shape(c["input"], c["text"])
        if p.returncode != 0:
            expect(f"{c['text']} on {c['input']}", False, p.stderr)
            continue
        row = json.loads(p.stdout)["layers"][0]
        got = {key: row[key] for key in ("output", "kernel", "bias", "params", "pads")}
        want = {key: c[key] for key in ("output", "kernel", "bias", "params", "pads")}
        if got != want:
            expect(f"{c['text']} on {c['input']}", False, f"got {got}\n     want {want}")
        else:
            ok += 1
    expect(f"{ok} of {len(cases)} configurations match the TF formulas", ok == len(cases))

    # The examples, in text form.
    p = shape([60, 32, 32, 3], "Conv2D(64, (3, 3), padding='same')", js=False)
    expect("Conv2D(64, (3, 3), padding='same') on (60, 32, 32, 3): output, kernel, bias, 1,792 params, formula",
           p.returncode == 0 and "output (60, 32, 32, 64)" in p.stdout and "kernel (3, 3, 3, 64)" in p.stdout
           and "bias (64,)" in p.stdout and "1,792" in p.stdout
           and "params = [(kH*kW*in/groups) + 1]*filters = [(3*3*3/1) + 1]*64 = 1,792" in p.stdout, p.stdout + p.stderr)
    p = shape([6, 512, 768], "Conv1D(100, 2)", js=False)
    expect("Conv1D(100, 2) on (6, 512, 768) -> (6, 511, 100)", p.returncode == 0 and "output (6, 511, 100)" in p.stdout,
           p.stdout + p.stderr)
    p = shape([1, 32, 32, 3], "Conv2D(8, 3, strides=2, padding='same')", js=False)
    expect("strided 'same' names where the odd pad goes",
           p.returncode == 0 and "pads   ((0, 1), (0, 1))" in p.stdout and "the odd one at the end" in p.stdout, p.stdout)

    # A chain: shapes flow, totals add up.
    p = shape([60, 32, 32, 3], "Conv2D(32, 3, activation='relu', input_shape=(32, 32, 3))", "MaxPooling2D()",
              "Conv2D(64, (3, 3), strides=2, padding='same', use_bias=False)", "ReLU()", "Flatten()", "Dense(10)")
    j = json.loads(p.stdout) if p.returncode == 0 else {}
    outs = [r["output"] for r in j.get("layers", [])]
    want = [[60, 30, 30, 32], [60, 15, 15, 32], [60, 8, 8, 64], [60, 8, 8, 64], [60, 4096], [60, 10]]
    expect("a Keras chain: Conv2D, MaxPooling2D, strided same Conv2D, ReLU, Flatten, Dense", outs == want,
           f"{outs}\n{p.stderr}")
    expect("chain total params", j.get("total_params") == 896 + 18432 + 40970, j.get("total_params"))

    # Refusals, each in convscope's own words; exit 1, no crash.
    refusals = [
        ([1, 8, 8, 3], ["Conv2D(4, 3, padding='causal')"], "only for Conv1D"),
        ([1, 16, 3], ["Conv1D(4, 3, strides=2, dilation_rate=2)"], "does not combine strides > 1 with dilation_rate > 1"),
        ([1, 4, 4, 3], ["Conv2D(4, 5)"], "no output position fits"),
        ([1, 8, 8, 3], ["Conv2D(4, 3, groups=2)"], "not divisible by groups=2"),
        ([1, 8, 8, 3], ["Conv2D(4, 3, data_format='channels_first')"], "channels_last"),
        ([1, 3, 8, 8], ["Conv1D(4, 3)"], "3-D channels-last input (N, L, C)"),
        ([1, 8, 8, 3], ["Conv2D(4, (3, 3, 3))"], "kernel_size must be an integer or a tuple of 2 integers"),
        ([1, 8, 8, 3], ["Conv2D(4, 3, input_shape=(8, 8, 4))"], "does not match the input"),
        ([1, 8, 8, 3], ["Conv2D(4, 3, padding='full')"], "padding must be 'valid' or 'same'"),
        ([1, 8, 8, 3], ["Conv2D(4)"], "missing 1 required positional argument: 'kernel_size'"),
        ([1, 8, 8, 3], ["Conv2D(8, 3)", "Conv2d(8, 8, 3)"],
         "layer 2 \"Conv2d(8, 8, 3)\" is a PyTorch layer but layer 1 \"Conv2D(8, 3)\" is a Keras layer"),
        ([1, 3, 8, 8], ["nn.Conv2d(3, 8, 3)", "ReLU()", "layers.MaxPooling2D()"], "is a Keras layer but layer 1"),
    ]
    for inp, layers, text in refusals:
        p = shape(inp, *layers, js=False)
        expect(f"refused: {' | '.join(layers)} on {inp}", p.returncode == 1 and text in p.stderr, p.stderr)
    # ReLU and Flatten alone stay PyTorch's (channels-first) as before.
    p = shape([2, 3, 4, 5], "Flatten()")
    expect("Flatten() alone is PyTorch's", p.returncode == 0 and json.loads(p.stdout)["layers"][0]["output_shape"] == [2, 60],
           p.stderr)

    # conv/explain on Keras-saved files: --data-format channels_last, --weight-layout keras, against live PyTorch.
    import tempfile
    import numpy as np
    import torch
    import torch.nn.functional as F
    rng = np.random.default_rng(4)
    with tempfile.TemporaryDirectory() as tmp:
        for dims, xs, ks, extra in [(2, (2, 7, 6, 4), (3, 2, 2, 6), ["--stride", "2", "--padding", "1", "--groups", "2"]),
                                    (1, (3, 9, 5), (3, 5, 4), ["--padding", "same", "--dilation", "2"])]:
            x = rng.standard_normal(xs).astype(np.float32)
            k = rng.standard_normal(ks).astype(np.float32)
            b = rng.standard_normal(ks[-1]).astype(np.float32)
            for n, a in (("x", x), ("k", k), ("b", b)):
                np.save(os.path.join(tmp, f"{n}{dims}.npy"), a)
            args = ["--input", os.path.join(tmp, f"x{dims}.npy"), "--weight", os.path.join(tmp, f"k{dims}.npy"),
                    "--bias", os.path.join(tmp, f"b{dims}.npy"), "--data-format", "channels_last",
                    "--weight-layout", "keras", *extra]
            out = os.path.join(tmp, f"y{dims}.npy")
            p = subprocess.run([cli, "conv", *args, "--output", out], capture_output=True, text=True, timeout=60)
            to_first = (0, 3, 1, 2) if dims == 2 else (0, 2, 1)
            w = torch.from_numpy(k).permute(*((3, 2, 0, 1) if dims == 2 else (2, 1, 0)))
            kw = dict(stride=2, padding=1, groups=2) if dims == 2 else dict(padding="same", dilation=2)
            conv = F.conv2d if dims == 2 else F.conv1d
            want = conv(torch.from_numpy(x).permute(*to_first), w, torch.from_numpy(b), **kw)
            want = want.permute(*((0, 2, 3, 1) if dims == 2 else (0, 2, 1))).numpy()
            got = np.load(out) if p.returncode == 0 else None
            expect(f"conv --data-format channels_last --weight-layout keras ({dims}-D): channels-last output = PyTorch's",
                   got is not None and got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-5), p.stderr)
            at = [1, 2, 1, 5] if dims == 2 else [2, 4, 3]  # n, [y,] x, c
            p = subprocess.run([cli, "explain", *args, "--at", ",".join(map(str, at)), "--json"], capture_output=True,
                               text=True, timeout=60)
            v = json.loads(p.stdout)["value"] if p.returncode == 0 else None
            expect(f"explain --data-format channels_last: --at n,[y,]x,c ({dims}-D)",
                   v is not None and abs(v - float(want[tuple(at)])) <= 1e-4 * max(1, abs(v)), p.stderr)
        np.save(os.path.join(tmp, "flat.npy"), np.zeros((4, 4), np.float32))  # rank 2: no 2-D layer input
        p = subprocess.run([cli, "conv", "--input", os.path.join(tmp, "flat.npy"), "--weight", os.path.join(tmp, "k2.npy"),
                            "--data-format", "channels_last", "--output", os.path.join(tmp, "bad.npy")],
                           capture_output=True, text=True, timeout=60)
        expect("a channels_last input of the wrong rank is refused naming the expected axes",
               p.returncode == 1 and "(N, H, W, C)" in p.stderr and not os.path.exists(os.path.join(tmp, "bad.npy")),
               p.stderr)

    # ONNX auto_pad SAME_UPPER / SAME_LOWER resolve through the same rule: libonnx-testdata's cases must pass onnx-check.
    node = "/usr/share/libonnx-testdata/data/node"
    if os.path.isdir(node):
        same = [d for d in sorted(os.listdir(node)) if re.search(r"same_(upper|lower)|autopad_same", d)
                and "transpose" not in d]
        expect(f"libonnx-testdata has auto_pad SAME cases ({len(same)})", len(same) >= 5, same)
        for d in same:
            p = subprocess.run([cli, "onnx-check", os.path.join(node, d)], capture_output=True, text=True, timeout=120)
            expect(f"onnx-check {d}", p.returncode == 0, p.stdout[-600:] + p.stderr)
    else:
        print("skip the ONNX auto_pad cases: libonnx-testdata is not installed")

    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
