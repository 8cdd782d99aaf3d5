#!/usr/bin/env python3
"""Live PyTorch differential test for convscope-cli's transposed convolution.

Generates seeded random ConvTranspose1d/2d configurations (strides 1-3, padding, output_padding, dilation, groups,
bias, unbatched and empty-batch inputs, and about a quarter that break one rule PyTorch checks), runs each through
`convscope-cli conv-transpose` and through F.conv_transpose1d/2d of PyTorch 1.13 (Debian's python3-torch), and
compares:
  * valid cases: the output shape, and every element with rtol 1e-4, atol 1e-5;
  * invalid cases: convscope's stderr must be PyTorch's message exactly, the exit code 1, and no output written;
  * for some valid cases, `explain --transposed --json` at a random position: the value equals PyTorch's output
    there; the taps that land on an input element are exactly the (input element, kernel tap) pairs of the scatter
    definition; each reads x and w at the right place; products are input*weight; channel sums + bias = value.
Replay one case with --only INDEX (same --seed).
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F


def arg_text(v):
    return ",".join(str(i) for i in v) if isinstance(v, (tuple, list)) else str(v)


def tup(v, d):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * d


def random_case(rng):
    d = rng.choice([1, 2])
    groups = rng.choice([1, 1, 1, 2, 3])
    cin_g, cout_g = rng.randint(1, 4), rng.randint(1, 4)
    if rng.random() < 0.15:  # depthwise-style: one input channel per group
        cin_g, groups = 1, rng.randint(2, 5)
    k = tuple(rng.randint(1, 5) for _ in range(d))
    spatial = tuple(rng.randint(1, 9) for _ in range(d))
    stride = rng.choice([1, 2, 2, 3]) if rng.random() < 0.7 else tuple(rng.randint(1, 3) for _ in range(d))
    dilation = rng.choice([1, 1, 1, 2, 3]) if rng.random() < 0.8 else tuple(rng.randint(1, 3) for _ in range(d))
    padding = rng.randint(0, 3) if rng.random() < 0.6 else tuple(rng.randint(0, 3) for _ in range(d))
    # A valid output_padding is below stride or dilation in every dim.
    limit = [max(s, dl) for s, dl in zip(tup(stride, d), tup(dilation, d))]
    output_padding = tuple(rng.randrange(m) for m in limit) if rng.random() < 0.6 else 0
    c = dict(d=d, n=rng.choice([1, 1, 2, 3]) if rng.random() > 0.04 else 0, unbatched=rng.random() < 0.12,
             cin=cin_g * groups, cout_g=cout_g, k=k, spatial=spatial, stride=stride, padding=padding,
             output_padding=output_padding, dilation=dilation, groups=groups, bias=rng.random() < 0.7,
             bias_len=cout_g * groups, weight_cin=cin_g * groups)
    if rng.random() < 0.27:
        fault = rng.choice(["channels", "negpad", "negoutpad", "stride0", "dilation0", "groups", "bias", "outpad",
                            "too_small", "rank", "groups0", "stridelen", "outpadlen", "kernel0", "empty_spatial"])
        c["fault"] = fault
        if fault == "channels":
            c["cin"] = c["weight_cin"] + rng.choice([-1, 1]) if c["weight_cin"] > 1 else 2
        elif fault == "negpad":
            c["padding"] = -1
        elif fault == "negoutpad":
            c["output_padding"] = -1
        elif fault == "stride0":
            c["stride"] = 0
        elif fault == "dilation0":
            c["dilation"] = 0
        elif fault == "groups":
            c["groups"] = groups + 1 if c["weight_cin"] % (groups + 1) else groups + 2
        elif fault == "bias":
            c["bias"], c["bias_len"] = True, c["bias_len"] + rng.choice([-1, 1])
        elif fault == "outpad":
            c["output_padding"] = max(limit) + rng.randint(0, 1)
        elif fault == "too_small":
            c["padding"], c["output_padding"] = max(spatial) * 3 + max(k) * 3, 0
        elif fault == "rank":
            c["extra_dim"] = True
        elif fault == "groups0":
            c["groups"] = 0
        elif fault == "stridelen":
            c["stride"] = (1,) * (d + 1)
        elif fault == "outpadlen":
            c["output_padding"] = (0,) * (d + 1)
        elif fault == "kernel0":
            c["k"] = k[:-1] + (0,)
        elif fault == "empty_spatial":
            c["spatial"] = spatial[:-1] + (0,)
    return c


def run(cli, *args):
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=60)


def check_case(cli, tmp, c, rng, index, stats):
    gen = torch.Generator().manual_seed(rng.randint(0, 2**31))
    shape = ([] if c["unbatched"] else [c["n"]]) + [c["cin"], *c["spatial"]]
    if c.get("extra_dim"):
        shape = [1] + shape
    x = torch.randn(*shape, generator=gen)
    # The weight keeps the generated C_in: a changed input channel count or groups is the fault to catch.
    w = torch.randn(c["weight_cin"], c["cout_g"], *c["k"], generator=gen)
    b = torch.randn(c["bias_len"], generator=gen) if c["bias"] else None
    f = F.conv_transpose1d if c["d"] == 1 else F.conv_transpose2d
    try:
        expected = f(x, w, b, stride=c["stride"], padding=c["padding"], output_padding=c["output_padding"],
                     groups=c["groups"], dilation=c["dilation"])
        error = None
    except (RuntimeError, ValueError, IndexError) as e:
        expected, error = None, str(e).split("\n")[0]
    paths = {}
    for name, t in (("x", x), ("w", w), ("b", b)):
        if t is not None:
            paths[name] = os.path.join(tmp, name + ".npy")
            np.save(paths[name], t.numpy())
    args = ["--input", paths["x"], "--weight", paths["w"], "--stride", arg_text(c["stride"]),
            "--padding", arg_text(c["padding"]), "--dilation", arg_text(c["dilation"]), "--groups", str(c["groups"])]
    if b is not None:
        args += ["--bias", paths["b"]]
    out = os.path.join(tmp, "y.npy")
    if os.path.exists(out):
        os.remove(out)
    engine = rng.choice(["fast", "reference"])
    stats[engine] += 1
    p = run(cli, "conv-transpose", *args, "--output-padding", arg_text(c["output_padding"]), "--output", out,
            "--engine", engine)
    where = f"case {index} ({engine} engine): {json.dumps(c)} x{list(x.shape)} w{list(w.shape)}"
    if error is not None:
        stats["invalid"] += 1
        if p.returncode != 1 or p.stderr.strip() != error:
            return f"{where}\n  PyTorch raised: {error}\n  convscope exit {p.returncode}: {p.stderr.strip()}"
        if os.path.exists(out):
            return f"{where}\n  an output file was written for an invalid configuration"
        return None
    stats["valid"] += 1
    if p.returncode != 0:
        return f"{where}\n  PyTorch computed {list(expected.shape)} but convscope failed ({p.returncode}): {p.stderr.strip()}"
    got, exp = np.load(out), expected.numpy()
    if got.shape != exp.shape:
        return f"{where}\n  shape {got.shape} != PyTorch {exp.shape}"
    if not np.allclose(got, exp, rtol=1e-4, atol=1e-5):
        i = np.unravel_index(np.argmax(np.abs(got - exp)), exp.shape)
        return f"{where}\n  at {tuple(int(v) for v in i)}: {got[i]} != PyTorch {exp[i]}"
    if exp.size and rng.random() < 0.4:
        return check_explain(cli, c, x, w, exp, args, rng, where, stats)
    return None


def check_explain(cli, c, x, w, exp, args, rng, where, stats):
    stats["explained"] += 1
    d = c["d"]
    unbatched = x.dim() == d + 1
    batched = exp[None] if unbatched else exp
    xb = (x.numpy()[None] if unbatched else x.numpy()).reshape(batched.shape[0], x.shape[-d - 1], -1, x.shape[-1])
    wn = w.numpy().reshape(w.shape[0], w.shape[1], -1, w.shape[-1])
    pos = tuple(rng.randrange(s) for s in batched.shape)
    p = run(cli, "explain", "--transposed", *args, "--output-padding", arg_text(c["output_padding"]),
            "--at", ",".join(map(str, pos)), "--json")
    if p.returncode != 0:
        return f"{where}\n  explain at {pos} failed: {p.stderr.strip()}"
    j = json.loads(p.stdout)
    want = float(batched[pos])
    if not np.isclose(j["value"], want, rtol=1e-4, atol=1e-5):
        return f"{where}\n  explain at {pos}: value {j['value']} != PyTorch {want}"
    n, co = pos[0], pos[1]
    oy, ox = (0, pos[2]) if d == 1 else (pos[2], pos[3])
    s = (1,) + tup(c["stride"], d) if d == 1 else tup(c["stride"], d)
    pd = (0,) + tup(c["padding"], d) if d == 1 else tup(c["padding"], d)
    dl = (1,) + tup(c["dilation"], d) if d == 1 else tup(c["dilation"], d)
    cin_g = w.shape[0] // c["groups"]
    cout_g = w.shape[1]
    group = co // cout_g
    kh, kw = wn.shape[2], wn.shape[3]
    # The scatter definition: which (input element, kernel tap) pairs land on (oy, ox).
    expected_pairs = set()
    for ci in range(group * cin_g, (group + 1) * cin_g):
        for iy in range(xb.shape[2]):
            for ix in range(xb.shape[3]):
                for ky in range(kh):
                    for kx in range(kw):
                        if iy * s[0] - pd[0] + ky * dl[0] == oy and ix * s[1] - pd[1] + kx * dl[1] == ox:
                            expected_pairs.add((ci, iy, ix, ky, kx))
    got_pairs = set()
    total = np.float32(0)
    for ch in j["channels"]:
        total = np.float32(total + np.float32(ch["sum"]))
        for t in ch["taps"]:
            ky, kx = (0, t["kernel_index"][0]) if d == 1 else tuple(t["kernel_index"])
            if np.float32(t["weight"]) != wn[ch["channel"], co - group * cout_g, ky, kx]:
                return f"{where}\n  explain at {pos}: tap {t} weight != w"
            if t["kind"] != "input":
                if t["product"] != 0 or t["input_index"] is not None:
                    return f"{where}\n  explain at {pos}: a {t['kind']} tap contributes: {t}"
                continue
            iy, ix = (0, t["input_index"][0]) if d == 1 else tuple(t["input_index"])
            got_pairs.add((ch["channel"], iy, ix, ky, kx))
            if np.float32(t["input"]) != xb[n, ch["channel"], iy, ix]:
                return f"{where}\n  explain at {pos}: tap {t} does not read x{[n, ch['channel'], iy, ix]}"
            if np.float32(t["product"]) != np.float32(t["input"]) * np.float32(t["weight"]):
                return f"{where}\n  explain at {pos}: product != input*weight in {t}"
    if got_pairs != expected_pairs:
        return f"{where}\n  explain at {pos}: contributing taps {sorted(got_pairs)} != scatter definition {sorted(expected_pairs)}"
    if j["contributing"] != len(expected_pairs):
        return f"{where}\n  explain at {pos}: contributing = {j['contributing']}, expected {len(expected_pairs)}"
    if np.float32(total + np.float32(j["bias"])) != np.float32(j["value"]):
        return f"{where}\n  explain at {pos}: sum of channel sums {total} + bias {j['bias']} != value {j['value']}"
    return None


def check_cli_contract(cli, tmp):
    """--help, usage errors (2), no overwrite without --force, --output-padding only with --transposed."""
    fails = []
    x, w = os.path.join(tmp, "cx.npy"), os.path.join(tmp, "cw.npy")
    np.save(x, np.ones((1, 2, 3, 3), np.float32))
    np.save(w, np.ones((2, 1, 3, 3), np.float32))
    out = os.path.join(tmp, "cy.npy")
    base = ["conv-transpose", "--input", x, "--weight", w, "--stride", "2"]
    p = run(cli, "conv-transpose", "--help")
    if p.returncode != 0 or "--output-padding" not in p.stdout:
        fails.append(f"conv-transpose --help: exit {p.returncode}: {p.stdout}")
    p = run(cli, *base, "--output", out)
    if p.returncode != 0 or np.load(out).shape != (1, 1, 7, 7):
        fails.append(f"conv-transpose writes (1, 1, 7, 7): exit {p.returncode}: {p.stderr}")
    before = open(out, "rb").read()
    p = run(cli, *base, "--output-padding", "1", "--output", out)
    if p.returncode != 2 or "--force" not in p.stderr or open(out, "rb").read() != before:
        fails.append(f"an existing output is kept without --force (exit 2): exit {p.returncode}: {p.stderr}")
    p = run(cli, *base, "--output-padding", "1", "--output", out, "--force")
    if p.returncode != 0 or np.load(out).shape != (1, 1, 8, 8):
        fails.append(f"--force overwrites with the (1, 1, 8, 8) output: exit {p.returncode}: {p.stderr}")
    p = run(cli, *base, "--output-padding", "x", "--output", out, "--force")
    if p.returncode != 2 or "--output-padding" not in p.stderr:
        fails.append(f"a non-numeric --output-padding is a usage error naming it: exit {p.returncode}: {p.stderr}")
    p = run(cli, "explain", "--input", x, "--weight", w, "--output-padding", "1", "--at", "0,0,0,0")
    if p.returncode != 2 or "--transposed" not in p.stderr:
        fails.append(f"explain --output-padding without --transposed is a usage error: exit {p.returncode}: {p.stderr}")
    p = run(cli, "explain", "--transposed", "--input", x, "--weight", w, "--stride", "2", "--at", "0,0,7,0")
    if p.returncode != 1 or "outside the output of shape [1, 1, 7, 7]" not in p.stderr:
        fails.append(f"explain --at outside the output: exit {p.returncode}: {p.stderr}")
    p = run(cli, "explain", "--transposed", "--input", x, "--weight", w, "--stride", "2", "--at", "0,0,2,2")
    if p.returncode != 0 or "= y[0, 0, 2, 2]        = 8" not in p.stdout:
        fails.append(f"explain text: two all-ones channels, 3x3 stamps at stride 2 overlap 4 times at (2, 2): {p.stdout}")
    return fails


SHAPE_CASES = [  # (input shape, module text): `shape` against the live nn module
    ((1, 64, 56, 56), "ConvTranspose2d(64, 32, 4, stride=2, padding=1)"),
    ((2, 4, 7), "nn.ConvTranspose1d(4, 6, 3, stride=2, output_padding=1, groups=2, dilation=2)"),
    ((4, 5, 6), "ConvTranspose2d(4, 2, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), bias=False)"),
    ((1, 4, 7), "ConvTranspose1d(4, 6, 3, output_padding=1)"),
    ((1, 32, 9, 9), "ConvTranspose1d(32, 8, 3)"),
    ((1, 5, 8, 8), "ConvTranspose2d(4, 8, 3)"),
    ((1, 4, 2, 2), "ConvTranspose2d(4, 8, 3, padding=3)"),
    ((1, 4, 8, 8), "ConvTranspose2d(4, 6, 3, groups=3)"),
    ((1, 4, 8, 8), "ConvTranspose2d(4, 8, 3, padding_mode='reflect')"),
    ((1, 4, 8, 8), "ConvTranspose2d(4, 8, 3, groups=0)"),
]


def check_shape_modules(cli):
    fails = []
    for shape, text in SHAPE_CASES:
        try:
            module = eval("torch.nn." + text.replace("nn.", ""))
            with torch.no_grad():
                expected, error = tuple(module(torch.randn(*shape)).shape), None
        except (RuntimeError, ValueError) as e:
            expected, error = None, str(e).split("\n")[0]
        p = run(cli, "shape", "--input", ",".join(map(str, shape)), text, "--json")
        if error is not None:
            if p.returncode != 1 or p.stderr.strip() != error:
                fails.append(f"shape {text} on {shape}: PyTorch raised {error!r}; convscope exit {p.returncode}: {p.stderr}")
            continue
        layer = json.loads(p.stdout)["layers"][0] if p.returncode == 0 else {}
        params = sum(t.numel() for t in module.parameters())
        if tuple(layer.get("output_shape") or ()) != expected or layer.get("parameters") != params:
            fails.append(f"shape {text} on {shape}: PyTorch {expected}, {params} parameters; convscope: {p.stdout}{p.stderr}")
    return fails


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=320)
    ap.add_argument("--only", type=int, default=None)
    a = ap.parse_args()
    print(f"torch {torch.__version__}; seed {a.seed}; {a.cases} cases (replay one with --seed {a.seed} --only N)")
    torch.set_num_threads(1)
    rng = random.Random(a.seed)
    stats = {"valid": 0, "invalid": 0, "explained": 0, "fast": 0, "reference": 0}
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        if a.only is None:
            failures += check_cli_contract(a.cli, tmp) + check_shape_modules(a.cli)
        for i in range(a.cases):
            case_rng = random.Random(rng.randint(0, 2**62))
            c = random_case(case_rng)
            if a.only is not None and i != a.only:
                continue
            msg = check_case(a.cli, tmp, c, case_rng, i, stats)
            if msg:
                failures.append(msg)
    print(f"valid cases compared: {stats['valid']}; invalid cases (error text compared): {stats['invalid']}; "
          f"explain checks: {stats['explained']}; engines: fast {stats['fast']}, reference {stats['reference']}")
    for f in failures[:20]:
        print("FAIL", f)
    if failures:
        print(f"{len(failures)} failures (seed {a.seed})")
        return 1
    print("all cases agree with PyTorch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
