#!/usr/bin/env python3
"""Live PyTorch differential test for convscope-cli.

Generates seeded random Conv1d/Conv2d configurations (every option, including ones PyTorch rejects), runs each
through `convscope-cli conv` and through PyTorch 1.13 (Debian's python3-torch), and compares:
  * valid cases: the output shape, and every element with rtol 1e-4, atol 1e-5;
  * invalid cases: PyTorch's message must appear in convscope's stderr, and the exit code must be 1;
  * for some valid cases, `explain --json` at a random position: value equals PyTorch's output there, the channel
    sums plus bias equal the value, each product is input*weight and each tap reads the right input element.
padding_mode != 'zeros' is evaluated the way nn.Conv1d/nn.Conv2d does it: F.pad(x, padding, mode) then conv
with padding 0. Replay one case with --only INDEX (same --seed).
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

MODES = ["zeros", "reflect", "replicate", "circular"]


# The direct kernel's instruction sets this CPU runs (what `conv --isa` accepts here).
_FLAGS = open("/proc/cpuinfo").read().split()
CPU_ISAS = ["generic"] + (["avx2"] if "avx2" in _FLAGS and "fma" in _FLAGS else []) + (["avx512"] if "avx512f" in _FLAGS else [])

def tup(v, d):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * d


def torch_conv(x, w, b, stride, padding, dilation, groups, mode):
    """What nn.Conv{1,2}d computes for these arguments (functional form + the module's padding_mode)."""
    conv = F.conv1d if w.dim() == 3 else F.conv2d
    if mode == "zeros":
        return conv(x, w, b, stride, padding, dilation, groups)
    d = w.dim() - 2
    if padding == "same":
        if any(s != 1 for s in tup(stride, d)):
            raise ValueError("padding='same' is not supported for strided convolutions")
        rp = [0] * (2 * d)
        for dd, k, i in zip(tup(dilation, d), w.shape[2:], range(d - 1, -1, -1)):
            total = dd * (k - 1)
            rp[2 * i] = total // 2
            rp[2 * i + 1] = total - total // 2
    elif padding == "valid":
        rp = [0] * (2 * d)
    else:
        rp = [p for p in reversed(tup(padding, d)) for _ in range(2)]
    x = F.pad(x, rp, mode=mode)
    return conv(x, w, b, stride, 0, dilation, groups)


def arg_text(v):
    return ",".join(str(i) for i in v) if isinstance(v, (tuple, list)) else str(v)


def random_case(rng):
    d = rng.choice([1, 2])
    groups = rng.choice([1, 1, 1, 2, 3])
    cin_g = rng.randint(1, 4)
    cout_g = rng.randint(1, 4)
    depthwise = rng.random() < 0.15
    if depthwise:
        cin_g, groups = 1, rng.randint(2, 6)
    cin, cout = cin_g * groups, cout_g * groups
    k = tuple(rng.randint(1, 5) for _ in range(d))
    spatial = tuple(rng.randint(1, 13) for _ in range(d))
    n = rng.choice([1, 1, 2, 3, 0]) if rng.random() > 0.05 else 0
    unbatched = rng.random() < 0.1
    stride = rng.choice([1, 1, 2, 3]) if rng.random() < 0.7 else tuple(rng.randint(1, 4) for _ in range(d))
    dilation = rng.choice([1, 1, 2, 3]) if rng.random() < 0.8 else tuple(rng.randint(1, 3) for _ in range(d))
    r = rng.random()
    if r < 0.15:
        padding = "same"
        stride = 1
    elif r < 0.22:
        padding = "valid"
    elif r < 0.6:
        padding = rng.randint(0, 3)
    else:
        padding = tuple(rng.randint(0, 3) for _ in range(d))
    mode = rng.choice(MODES) if rng.random() < 0.5 else "zeros"
    bias = rng.random() < 0.7
    c = dict(d=d, n=n, unbatched=unbatched, cin=cin, cout=cout, k=k, spatial=spatial, stride=stride, padding=padding,
             dilation=dilation, groups=groups, mode=mode, bias=bias, bias_len=cout, weight_cin=cin_g)
    # About a quarter of the cases break one rule PyTorch checks.
    if rng.random() < 0.27:
        fault = rng.choice(["channels", "kernel", "negpad", "stride0", "dilation0", "groups", "bias", "samestride",
                            "reflectbig", "circularbig", "rank", "groups0", "stridelen"])
        c["fault"] = fault
        if fault == "channels":
            c["cin"] = cin + rng.choice([-1, 1]) * groups if cin > groups else cin + groups + 1
        elif fault == "kernel":
            c["k"] = tuple(s + 2 * 3 + 2 for s in spatial)
        elif fault == "negpad":
            c["padding"], c["mode"] = -1, "zeros"
        elif fault == "stride0":
            c["stride"] = 0
        elif fault == "dilation0":
            c["dilation"] = 0
        elif fault == "groups":
            c["groups"] = groups + 1 if cout % (groups + 1) else groups + 2
        elif fault == "bias":
            c["bias"], c["bias_len"] = True, cout + 1
        elif fault == "samestride":
            c["padding"], c["stride"] = "same", 2
        elif fault == "reflectbig":
            c["mode"], c["padding"] = "reflect", max(spatial)
        elif fault == "circularbig":
            c["mode"], c["padding"] = "circular", max(spatial) + 1
        elif fault == "rank":
            c["extra_dim"] = True
        elif fault == "groups0":
            c["groups"] = 0
        elif fault == "stridelen":
            c["stride"] = (1,) * (d + 1)
    return c


class Runner:
    def __init__(self, cli, tmp):
        self.cli, self.tmp = cli, tmp

    def save(self, name, array):
        path = os.path.join(self.tmp, name)
        np.save(path, array)
        return path

    def cli_args(self, c, x, w, b):
        args = ["--input", self.save("x.npy", x), "--weight", self.save("w.npy", w)]
        if b is not None:
            args += ["--bias", self.save("b.npy", b)]
        args += ["--stride", arg_text(c["stride"]), "--padding", arg_text(c["padding"]),
                 "--dilation", arg_text(c["dilation"]), "--groups", str(c["groups"]), "--padding-mode", c["mode"]]
        return args

    def run(self, *args):
        return subprocess.run([self.cli, *args], capture_output=True, text=True, timeout=60)


def check_case(runner, c, rng, index, stats):
    gen = torch.Generator().manual_seed(rng.randint(0, 2**31))
    shape = ([] if c["unbatched"] else [c["n"]]) + [c["cin"], *c["spatial"]]
    if c.get("extra_dim"):
        shape = [1] + shape
    x = torch.randn(*shape, generator=gen)
    # The weight keeps the generated C_in/groups: a changed input channel count or groups is the fault to catch.
    w = torch.randn(c["cout"], c["weight_cin"], *c["k"], generator=gen)
    b = torch.randn(c["bias_len"], generator=gen) if c["bias"] else None
    try:
        expected = torch_conv(x, w, b, c["stride"], c["padding"], c["dilation"], c["groups"], c["mode"])
        error = None
    except (RuntimeError, ValueError, NotImplementedError) as e:
        expected, error = None, str(e).split("\n")[0]
    args = runner.cli_args(c, x.numpy(), w.numpy(), None if b is None else b.numpy())
    out = os.path.join(runner.tmp, "y.npy")
    if os.path.exists(out):
        os.remove(out)
    # The fast engine is forced to every instruction set this CPU runs in turn (generic, avx2, avx512); on depthwise
    # cases it is the depthwise kernel. Every second avx512 turn forces the channel-blocked kernel instead (it runs
    # by itself only on layers of 64 channels and more, which random cases rarely are).
    engine = rng.choice(["fast", "gemm", "reference"])
    extra = []
    if engine == "fast":
        isa = CPU_ISAS[stats["fast"] % len(CPU_ISAS)]
        extra = ["--isa", isa]
        stats["isa_" + isa] += 1
        if isa == "avx512" and stats["isa_avx512"] % 2 == 0:
            stats["blocked"] += 1
            engine = "blocked"
        engine = f"{engine} --isa {isa}"
        stats["fast"] += 1
    else:
        stats[engine] += 1
    p = runner.run("conv", *args, "--output", out, "--engine", engine.split()[0], *extra)
    where = f"case {index} ({engine} engine): {json.dumps({k: v for k, v in c.items()})} x{list(x.shape)} w{list(w.shape)}"
    if error is not None:
        stats["invalid"] += 1
        if p.returncode != 1 or error not in p.stderr:
            return f"{where}\n  PyTorch raised: {error}\n  convscope exit {p.returncode}: {p.stderr.strip()}"
        if os.path.exists(out):
            return f"{where}\n  an output file was written for an invalid configuration"
        return None
    stats["valid"] += 1
    if p.returncode != 0:
        return f"{where}\n  PyTorch computed {list(expected.shape)} but convscope failed ({p.returncode}): {p.stderr.strip()}"
    got = np.load(out)
    exp = expected.numpy()
    if got.shape != exp.shape:
        return f"{where}\n  shape {got.shape} != PyTorch {exp.shape}"
    if not np.allclose(got, exp, rtol=1e-4, atol=1e-5):
        i = np.unravel_index(np.argmax(np.abs(got - exp)), exp.shape)
        return f"{where}\n  at {tuple(int(v) for v in i)}: {got[i]} != PyTorch {exp[i]}"
    if exp.size and rng.random() < 0.4:
        return check_explain(runner, c, x, w, b, exp, args, rng, where, stats)
    return None


def check_explain(runner, c, x, w, b, exp, args, rng, where, stats):
    stats["explained"] += 1
    unbatched = x.dim() == w.dim() - 1
    batched = exp if not unbatched else exp[None]
    pos = tuple(rng.randrange(s) for s in batched.shape)
    p = runner.run("explain", *args, "--at", ",".join(map(str, pos)), "--json")
    if p.returncode != 0:
        return f"{where}\n  explain at {pos} failed: {p.stderr.strip()}"
    j = json.loads(p.stdout)
    want = float(batched[pos])
    if not np.isclose(j["value"], want, rtol=1e-4, atol=1e-5):
        return f"{where}\n  explain at {pos}: value {j['value']} != PyTorch {want}"
    total = np.float32(0)
    xb = x.numpy() if not unbatched else x.numpy()[None]
    n, co = pos[0], pos[1]
    for ch in j["channels"]:
        total = np.float32(total + np.float32(ch["sum"]))
        for t in ch["taps"]:
            if np.float32(t["product"]) != np.float32(t["input"]) * np.float32(t["weight"]):
                return f"{where}\n  explain at {pos}: product != input*weight in {t}"
            src = t["source_index"]
            real = 0.0 if src is None else float(xb[(n, ch["channel"], *src)])
            if np.float32(t["input"]) != np.float32(real):
                return f"{where}\n  explain at {pos}: tap {t} reads {t['input']} but x{src} = {real}"
            wv = float(w.numpy()[(co, ch["channel"] % w.shape[1], t["ky"], t["kx"])] if w.dim() == 4
                       else w.numpy()[(co, ch["channel"] % w.shape[1], t["kx"])])
            if np.float32(t["weight"]) != np.float32(wv):
                return f"{where}\n  explain at {pos}: tap {t} weight != w = {wv}"
    if np.float32(total + np.float32(j["bias"])) != np.float32(j["value"]):
        return f"{where}\n  explain at {pos}: sum of channel sums {total} + bias {j['bias']} != value {j['value']}"
    return None


def random_pool_case(rng):
    d = rng.choice([1, 2])
    mode = rng.choice(["max", "avg"])
    k = [rng.randint(1, 4) for _ in range(d)]
    c = dict(d=d, mode=mode, k=k if rng.random() < 0.5 or d == 1 else k[0],
             stride=None if rng.random() < 0.4 else [rng.randint(1, 3) for _ in range(d)],
             padding=rng.randint(0, max(0, min(k) // 2)), dilation=rng.choice([1, 1, 2]) if mode == "max" else 1,
             ceil_mode=rng.random() < 0.4, count_include_pad=rng.random() < 0.6,
             divisor_override=rng.choice([None, None, None, 3]) if (mode == "avg" and d == 2) else None,
             n=rng.choice([1, 2]), ch=rng.randint(1, 4), spatial=[rng.randint(1, 11) for _ in range(d)],
             unbatched=rng.random() < 0.15)
    if rng.random() < 0.25:
        fault = rng.choice(["pad_half", "stride0", "kernel0", "too_small", "negpad"])
        c["fault"] = fault
        if fault == "pad_half":
            c["padding"] = (c["k"] if isinstance(c["k"], int) else min(c["k"])) // 2 + 1
        elif fault == "stride0":
            c["stride"] = [0] * d
        elif fault == "kernel0":
            c["k"] = 0
        elif fault == "too_small":
            c["k"], c["padding"], c["dilation"] = 5, 0, 1
            c["spatial"] = [2] * d
        elif fault == "negpad":
            c["padding"] = -1
    return c


def check_pool_case(runner, c, rng, index, stats):
    gen = torch.Generator().manual_seed(rng.randint(0, 2**31))
    shape = ([] if c["unbatched"] else [c["n"]]) + [c["ch"], *c["spatial"]]
    x = torch.randn(*shape, generator=gen)
    kw = dict(kernel_size=c["k"], stride=c["stride"], padding=c["padding"], ceil_mode=c["ceil_mode"])
    try:
        if c["mode"] == "max":
            f = F.max_pool1d if c["d"] == 1 else F.max_pool2d
            expected = f(x, dilation=c["dilation"], **kw)
        else:
            f = F.avg_pool1d if c["d"] == 1 else F.avg_pool2d
            extra = {"divisor_override": c["divisor_override"]} if c["d"] == 2 else {}
            expected = f(x, count_include_pad=c["count_include_pad"], **kw, **extra)
        error = None
    except (RuntimeError, ValueError, IndexError) as e:
        expected, error = None, str(e).split("\n")[0]
    args = ["--input", runner.save("px.npy", x.numpy()), "--mode", c["mode"], "--dims", str(c["d"]),
            "--kernel-size", arg_text(c["k"]), "--padding", arg_text(c["padding"]), "--dilation", arg_text(c["dilation"]),
            "--count-include-pad", "true" if c["count_include_pad"] else "false"]
    if c["stride"] is not None:
        args += ["--stride", arg_text(c["stride"])]
    if c["ceil_mode"]:
        args.append("--ceil-mode")
    if c["divisor_override"]:
        args += ["--divisor-override", str(c["divisor_override"])]
    out = os.path.join(runner.tmp, "py.npy")
    if os.path.exists(out):
        os.remove(out)
    p = runner.run("pool", *args, "--output", out)
    where = f"pool case {index}: {json.dumps(c)} x{list(x.shape)}"
    if error is not None:
        stats["pool_invalid"] += 1
        if p.returncode != 1 or error not in p.stderr:
            return f"{where}\n  PyTorch raised: {error}\n  convscope exit {p.returncode}: {p.stderr.strip()}"
        return None
    stats["pool_valid"] += 1
    if p.returncode != 0:
        return f"{where}\n  PyTorch computed {list(expected.shape)} but convscope failed ({p.returncode}): {p.stderr.strip()}"
    got, exp = np.load(out), expected.numpy()
    if got.shape != exp.shape or not np.allclose(got, exp, rtol=1e-5, atol=1e-6, equal_nan=True):
        return f"{where}\n  output differs: shape {got.shape} vs {exp.shape}"
    if exp.size and rng.random() < 0.3:
        unbatched = x.dim() == c["d"] + 1
        batched = exp[None] if unbatched else exp
        pos = tuple(rng.randrange(s) for s in batched.shape)
        explain_args = [a if a != "--mode" else "--pool" for a in args]
        q = runner.run("explain", *explain_args, "--at", ",".join(map(str, pos)), "--json")
        if q.returncode != 0:
            return f"{where}\n  explain at {pos} failed: {q.stderr.strip()}"
        j = json.loads(q.stdout)
        # JSON has no infinities or NaN: explain --json writes them as the strings "inf", "-inf" and "nan" (a max
        # pool window entirely on the padding is -inf, as in PyTorch)
        value = float(j["value"])
        if not np.isclose(value, float(batched[pos]), rtol=1e-5, atol=1e-6, equal_nan=True):
            return f"{where}\n  explain at {pos}: {j['value']} != PyTorch {float(batched[pos])}"
        stats["pool_explained"] += 1
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cases", type=int, default=320)
    ap.add_argument("--pool-cases", type=int, default=120)
    ap.add_argument("--only", type=int, default=None)
    a = ap.parse_args()
    print(f"torch {torch.__version__}; seed {a.seed}; {a.cases} cases (replay one with --seed {a.seed} --only N)")
    torch.set_num_threads(1)
    rng = random.Random(a.seed)
    stats = {"valid": 0, "invalid": 0, "explained": 0, "fast": 0, "blocked": 0, "gemm": 0, "reference": 0, "pool_valid": 0, "pool_invalid": 0,
             "pool_explained": 0, **{"isa_" + isa: 0 for isa in CPU_ISAS}}
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        runner = Runner(a.cli, tmp)
        for i in range(a.cases):
            case_rng = random.Random(rng.randint(0, 2**62))
            c = random_case(case_rng)
            if a.only is not None and i != a.only:
                continue
            msg = check_case(runner, c, case_rng, i, stats)
            if msg:
                failures.append(msg)
        for i in range(a.pool_cases):
            case_rng = random.Random(rng.randint(0, 2**62))
            c = random_pool_case(case_rng)
            if a.only is not None and i + a.cases != a.only:
                continue
            msg = check_pool_case(runner, c, case_rng, i + a.cases, stats)
            if msg:
                failures.append(msg)
    print(f"valid cases compared: {stats['valid']}; invalid cases (error text compared): {stats['invalid']}; "
          f"explain checks: {stats['explained']}; engines: fast {stats['fast']} ("
          + ", ".join(f"{isa} {stats['isa_' + isa]}" for isa in CPU_ISAS) + f"; of them forced to the blocked kernel "
          f"{stats['blocked']}), gemm {stats['gemm']}, reference {stats['reference']}")
    print(f"pooling: valid {stats['pool_valid']}, invalid {stats['pool_invalid']}, explain checks {stats['pool_explained']}")
    for f in failures[:20]:
        print("FAIL", f)
    if failures:
        print(f"{len(failures)} failures (seed {a.seed})")
        return 1
    print("all cases agree with PyTorch")
    return 0


if __name__ == "__main__":
    sys.exit(main())
