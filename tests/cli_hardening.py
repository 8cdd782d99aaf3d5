#!/usr/bin/env python3
"""Hostile but realistic inputs to convscope-cli (issue 12): none may abort (exit 134) or hang; each gets a
specific message and exit 1 (invalid input) or 2 (usage). PyTorch runs live where it has its own text."""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch

FAILURES = []
HUGE = 4611686018427387904  # 2**62


def run(cli, *args, env=None):
    return subprocess.run([cli, *args], capture_output=True, text=True, timeout=120,
                          env=None if env is None else {**os.environ, **env})


def run_measured(cli, *args):
    """Runs the CLI in a fresh Python process that reports the child's peak resident memory (bytes)."""
    code = ("import resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
            "sys.stderr.write(p.stderr)\n"
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
            "sys.exit(p.returncode)\n")
    p = subprocess.run([sys.executable, "-c", code, cli, *args], capture_output=True, text=True, timeout=120)
    return p, int(p.stdout.strip().splitlines()[-1]) if p.stdout.strip() else -1


def expect(name, cond, detail=""):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f"\n     {detail}"))
    if not cond:
        FAILURES.append(name)


def torch_error(fn):
    try:
        fn()
    except Exception as e:  # PyTorch's own text
        return str(e)
    return None


NEGATIVE_NUMBER = re.compile(r"(^|[^0-9A-Za-z_)])-[0-9]")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    cli = ap.parse_args().cli
    with tempfile.TemporaryDirectory() as tmp:
        def path(n):
            return os.path.join(tmp, n)

        rng = np.random.default_rng(12)
        np.save(path("x32.npy"), rng.standard_normal((1, 3, 32, 32)).astype(np.float32))
        np.save(path("w5.npy"), rng.standard_normal((4, 3, 5, 5)).astype(np.float32))
        np.save(path("w3.npy"), rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
        np.save(path("x8.npy"), rng.standard_normal((1, 3, 8, 8)).astype(np.float32))

        # ---- 1. int64 overflow in the layer check ----
        for k in (5, 3):
            out = path(f"dil{k}.npy")
            p = run(cli, "conv", "--input", path("x32.npy"), "--weight", path(f"w{k}.npy"), "--padding", "2",
                    "--dilation", str(HUGE), "--output", out)
            expect(f"conv --dilation 2^62 with a {k}x{k} kernel: exit 1 naming dilation, no output",
                   p.returncode == 1 and f"dilation={HUGE} is too large" in p.stderr and not os.path.exists(out),
                   (p.returncode, p.stderr))
        for arg in ("--padding", "--stride", "--dilation"):
            for v in (2**31, 2**62, 2**63 - 1):
                out = path("o.npy")
                p = run(cli, "conv", "--input", path("x8.npy"), "--weight", path("w3.npy"), arg, str(v), "--output", out)
                ok = p.returncode in (0, 1) and not NEGATIVE_NUMBER.search(p.stderr)
                if p.returncode == 0:
                    y = np.load(out)
                    ok = ok and all(d >= 1 for d in y.shape)
                    os.remove(out)
                expect(f"conv {arg} {v}: a result or a message, never an abort or a wrapped number", ok,
                       (p.returncode, p.stderr[-300:]))
        p = run(cli, "shape", "--input", "1,3,32,32", f"Conv2d(3,4,3,dilation={HUGE})")
        expect("shape with dilation 2^62: exit 1, no negative output size",
               p.returncode == 1 and "does not fit in a 64-bit integer" in p.stderr
               and not NEGATIVE_NUMBER.search(p.stdout + p.stderr), (p.returncode, p.stdout, p.stderr))

        # ---- 5. overflowed parameter count: PyTorch's own text ----
        expected = torch_error(lambda: torch.nn.Conv2d(3, HUGE, kernel_size=5))
        p = run(cli, "shape", "--input", "1,3,32,32", f"Conv2d(3, {HUGE}, kernel_size=5)")
        expect("shape Conv2d(3, 2^62, 5): PyTorch's storage-overflow text, exit 1, no parameter count",
               p.returncode == 1 and expected is not None and expected in p.stderr and "total parameters" not in p.stdout,
               (expected, p.returncode, p.stdout, p.stderr))
        p = run(cli, "shape", "--input", "1,3,32,32", f"Conv2d(3, {HUGE}, kernel_size=5)", "--json")
        doc = json.loads(p.stdout) if p.stdout.strip() else {}
        expect("shape --json of that layer: error in the row, total 0",
               p.returncode == 1 and doc.get("layers", [{}])[0].get("error") == expected and doc.get("total_parameters") == 0,
               p.stdout)
        expected = torch_error(lambda: torch.nn.Conv2d(3, -4, 5))
        p = run(cli, "shape", "--input", "1,3,32,32", "Conv2d(3, -4, 5)")
        expect("shape Conv2d(3, -4, 5): PyTorch's negative-dimension text",
               p.returncode == 1 and expected is not None and expected in p.stderr, (expected, p.stderr))

        # ---- 2. unbounded allocation: refused before allocating, with the bytes needed ----
        out = path("pad.npy")
        p, rss = run_measured(cli, "conv", "--input", path("x8.npy"), "--weight", path("w3.npy"),
                              "--padding", "100000", "--output", out)
        expect("conv --padding 100000 on 8x8: exit 1 with the bytes it would need, small peak memory",
               p.returncode == 1 and "needs" in p.stderr and "bytes" in p.stderr and "output [1, 4, 200006, 200006]" in p.stderr
               and not os.path.exists(out) and 0 < rss < 200 * 2**20, (p.returncode, p.stderr, rss))
        p = run(cli, "conv", "--input", path("x32.npy"), "--weight", path("w5.npy"), "--padding", "2",
                "--output", path("limited.npy"), env={"CONVSCOPE_MAX_MEMORY": "16K"})
        expect("CONVSCOPE_MAX_MEMORY=16K refuses a layer needing more, naming the budget",
               p.returncode == 1 and "CONVSCOPE_MAX_MEMORY" in p.stderr and "16,384" in p.stderr, p.stderr)
        p = run(cli, "conv", "--input", path("x32.npy"), "--weight", path("w5.npy"), "--padding", "2",
                "--output", path("limited.npy"), env={"CONVSCOPE_MAX_MEMORY": "lots"})
        expect("a malformed CONVSCOPE_MAX_MEMORY is refused by name", p.returncode == 1 and "CONVSCOPE_MAX_MEMORY" in p.stderr,
               p.stderr)

        # A 3 GB weight whose channels cannot fit: the header is checked first, the data never read.
        big = path("big_w.npy")
        header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 7, 300, 360), }"
        header += " " * (127 - 10 - len(header)) + "\n"
        with open(big, "wb") as f:
            f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode())
            f.truncate(128 + 1000 * 7 * 300 * 360 * 4)  # sparse: no disk used
        p, rss = run_measured(cli, "conv", "--input", path("x32.npy"), "--weight", big, "--output", path("big.npy"))
        expect("a 3 GB weight that cannot fit the layer is refused from its header (no data read)",
               p.returncode == 1 and "expected input[1, 3, 32, 32] to have 7 channels" in p.stderr
               and 0 < rss < 200 * 2**20, (p.returncode, p.stderr, rss))

        # --time states the peak memory.
        p = run(cli, "conv", "--input", path("x32.npy"), "--weight", path("w5.npy"), "--padding", "2", "--time",
                "--output", path("timed.npy"))
        m = re.search(r"peak memory ([0-9,]+) bytes", p.stderr)
        expect("conv --time reports the peak memory", p.returncode == 0 and m and int(m.group(1).replace(",", "")) > 0,
               p.stderr)

        # --time on conv-transpose and pool too: best of N, GFLOPS where there are flops, the engine; outputs equal
        # PyTorch's (the repeats do not change what was written).
        x = torch.randn(1, 8, 9, 7, generator=torch.Generator().manual_seed(5))
        wt = torch.randn(8, 4, 4, 4, generator=torch.Generator().manual_seed(6))
        np.save(path("tx.npy"), x.numpy())
        np.save(path("tw.npy"), wt.numpy())
        p = run(cli, "conv-transpose", "--input", path("tx.npy"), "--weight", path("tw.npy"), "--stride", "2",
                "--padding", "1", "--time", "--repeat", "3", "--output", path("ty.npy"))
        m = re.search(r"compute ([0-9.]+) ms \(best of 3; ([0-9.]+) GFLOPS; gemm-col2im engine, \d+ threads?\); peak memory", p.stderr)
        want = torch.nn.functional.conv_transpose2d(x, wt, stride=2, padding=1)
        expect("conv-transpose --time --repeat 3: best of 3 with GFLOPS and the engine, output = PyTorch's",
               p.returncode == 0 and m and float(m.group(1)) > 0
               and np.allclose(np.load(path("ty.npy")), want.numpy(), rtol=1e-5, atol=1e-5), p.stderr)
        for mode, fn in (("max", torch.nn.functional.max_pool2d), ("avg", torch.nn.functional.avg_pool2d)):
            for engine in ("fast", "reference"):
                p = run(cli, "pool", "--input", path("tx.npy"), "--mode", mode, "--kernel-size", "3", "--stride", "2",
                        "--padding", "1", "--engine", engine, "--time", "--repeat", "2", "--output", path("tp.npy"),
                        "--force")
                gflops = "; [0-9.]+ GFLOPS" if mode == "avg" else ""
                m = re.search(r"compute [0-9.]+ ms \(best of 2" + gflops + "; " + engine + r" engine, \d+ threads?\)", p.stderr)
                expect(f"pool --mode {mode} --engine {engine} --time: the engine timed, output = PyTorch's",
                       p.returncode == 0 and m and np.allclose(np.load(path("tp.npy")), fn(x, 3, 2, 1).numpy(), rtol=1e-5, atol=1e-6),
                       p.stderr)
        # conv --engine depthwise|pointwise with every instruction set this CPU runs: PyTorch's output, the engine named
        # (--time prints it); on a layer they do not apply to, the direct kernel runs and is named.
        flags = open("/proc/cpuinfo").read()
        isas = ["generic"] + (["avx2"] if " avx2" in flags and " fma" in flags else []) + (["avx512"] if "avx512f" in flags else [])
        g = torch.Generator().manual_seed(7)
        xe = torch.randn(2, 6, 11, 19, generator=g)
        np.save(path("xe.npy"), xe.numpy())
        layers = {"depthwise": (torch.randn(12, 1, 3, 3, generator=g), dict(padding=1, groups=6, stride=2)),
                  "pointwise": (torch.randn(5, 6, 1, 1, generator=g), dict(stride=1))}
        for engine, (we, kw) in layers.items():
            np.save(path("we.npy"), we.numpy())
            want = torch.nn.functional.conv2d(xe, we, **kw).numpy()
            args = ["--padding", str(kw.get("padding", 0)), "--groups", str(kw.get("groups", 1)), "--stride", str(kw["stride"])]
            for isa in isas:
                p = run(cli, "conv", "--input", path("xe.npy"), "--weight", path("we.npy"), *args, "--engine", engine,
                        "--isa", isa, "--time", "--output", path("ye.npy"), "--force")
                expect(f"conv --engine {engine} --isa {isa}: PyTorch's output, engine {engine}-{isa} named",
                       p.returncode == 0 and f"{engine}-{isa} engine" in p.stderr
                       and np.allclose(np.load(path("ye.npy")), want, rtol=1e-5, atol=1e-5), p.stderr)
        # conv --engine blocked (output channels across the vector): AVX-512 only, the direct kernel with the other
        # instruction sets; `fast` picks it by itself on a 2-D layer of 64 channels in and 32 out on a 16-wide map.
        xb = torch.randn(1, 64, 15, 16, generator=g)
        wb = torch.randn(32, 64, 3, 3, generator=g) * 0.05
        np.save(path("xb.npy"), xb.numpy())
        np.save(path("wb.npy"), wb.numpy())
        want = torch.nn.functional.conv2d(xb, wb, padding=1, stride=(1, 1)).numpy()
        for engine in ("blocked", "fast"):
            for isa in isas:
                named = "blocked-avx512" if isa == "avx512" else f"direct-{isa}"
                p = run(cli, "conv", "--input", path("xb.npy"), "--weight", path("wb.npy"), "--padding", "1",
                        "--engine", engine, "--isa", isa, "--time", "--output", path("yb.npy"), "--force")
                expect(f"conv --engine {engine} --isa {isa} on 64 -> 32 channels: PyTorch's output, {named} named",
                       p.returncode == 0 and f"{named} engine" in p.stderr
                       and np.allclose(np.load(path("yb.npy")), want, rtol=1e-5, atol=1e-5), p.stderr)
        np.save(path("we.npy"), torch.randn(4, 6, 3, 3, generator=g).numpy())
        for engine in ("depthwise", "pointwise"):
            p = run(cli, "conv", "--input", path("xe.npy"), "--weight", path("we.npy"), "--engine", engine, "--isa", "generic",
                    "--output", path("ye.npy"), "--force")
            expect(f"conv --engine {engine} on a dense 3x3 layer runs the direct kernel and says so",
                   p.returncode == 0 and "(direct-generic engine)" in p.stderr, p.stderr)

        p = run(cli, "pool", "--input", path("tx.npy"), "--mode", "max", "--kernel-size", "3", "--repeat", "0",
                "--output", path("tq.npy"))
        expect("pool --repeat 0: usage error, nothing written", p.returncode == 2 and not os.path.exists(path("tq.npy")), p.stderr)

        # ---- 4. --threads ----
        for cmd in (["conv-transpose", "--weight", path("tw.npy")], ["pool", "--mode", "max", "--kernel-size", "2"]):
            p = run(cli, *cmd, "--input", path("tx.npy"), "--threads", "257", "--output", path("tt.npy"))
            expect(f"{cmd[0]} --threads 257: usage error saying the range, nothing written",
                   p.returncode == 2 and "1 to 256" in p.stderr and not os.path.exists(path("tt.npy")), (p.returncode, p.stderr))
        for bad in ("100000", "-5", "257"):
            out = path("t.npy")
            p = run(cli, "conv", "--input", path("x8.npy"), "--weight", path("w3.npy"), "--threads", bad, "--output", out)
            expect(f"--threads {bad}: usage error (2) saying the range, nothing written",
                   p.returncode == 2 and "--threads" in p.stderr and "1 to 256" in p.stderr and not os.path.exists(out),
                   (p.returncode, p.stderr))
        p = run(cli, "conv", "--input", path("x8.npy"), "--weight", path("w3.npy"), "--threads", "2",
                "--output", path("t2.npy"))
        expect("--threads 2 runs", p.returncode == 0, p.stderr)

        # ---- dtype conversion notices (the window shows the same) ----
        np.save(path("w64.npy"), rng.standard_normal((4, 3, 3, 3)))
        p = run(cli, "conv", "--input", path("x8.npy"), "--weight", path("w64.npy"), "--output", path("y64.npy"))
        expect("a float64 weight: the CLI says it converted it",
               p.returncode == 0 and "note: " + path("w64.npy") + ": converted float64 (<f8) to float32" in p.stderr,
               p.stderr)
        xi = np.zeros((1, 3, 8, 8), dtype=np.int64)
        xi[0, 0, 0, 0] = 2**53 + 1
        np.save(path("xi.npy"), xi)
        p = run(cli, "conv", "--input", path("xi.npy"), "--weight", path("w3.npy"), "--output", path("yi.npy"))
        expect("large int64 values: the CLI says they were rounded",
               p.returncode == 0 and "1 int64 values are too large to be exact in float32" in p.stderr, p.stderr)

        # ---- NaN/Inf: explain --json convention and parity with PyTorch in every engine ----
        xn = np.ones((1, 2, 4, 4), dtype=np.float32)
        xn[0, 0, 0, 0] = np.nan  # in the window of output (0, 0) only
        xn[0, 1, 3, 3] = np.inf  # in the window of output (1, 1) only
        np.save(path("xn.npy"), xn)
        np.save(path("wn.npy"), np.ones((1, 2, 3, 3), dtype=np.float32))
        p = run(cli, "explain", "--input", path("xn.npy"), "--weight", path("wn.npy"), "--at", "0,0,0,0", "--json")
        doc = json.loads(p.stdout, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c))) if p.returncode == 0 else {}
        expect("explain --json writes NaN as the string \"nan\" (strict JSON, no null)",
               doc.get("value") == "nan" and "null" not in p.stdout.replace('"source_index": null', ""), p.stdout[:400])
        p = run(cli, "explain", "--input", path("xn.npy"), "--weight", path("wn.npy"), "--at", "0,0,1,1", "--json")
        doc = json.loads(p.stdout) if p.returncode == 0 else {}
        expect("explain --json writes +inf as \"inf\"", doc.get("value") == "inf", p.stdout[:300])

        # NaN and infinities in the data propagate the same way in any summation order: every engine gives PyTorch's
        # positions. Where finite sums overflow (3e38), the order decides between inf and NaN: PyTorch's own order
        # depends on its backend (here it sums all taps in one run: +inf), so every engine gives the reference's
        # values (channel sums first, as the cursor shows them: NaN when two channel sums overflow oppositely).
        cases = {
            "opposite channel sums overflow": (np.full((1, 2, 5, 5), 3e38, np.float32),
                                               np.ones((1, 2, 3, 3), np.float32) * np.array([1, -1], np.float32)[None, :, None, None]),
            "NaN and inf inputs": (xn, np.ones((2, 2, 3, 3), np.float32)),
            "huge mixed": (rng.choice(np.array([3e38, -3e38, 1.0, np.inf], np.float32), (2, 3, 7, 6)),
                           rng.choice(np.array([1.0, -1.0, 0.0, 0.5], np.float32), (5, 3, 3, 2))),
        }
        for name, (x, w) in cases.items():
            np.save(path("xh.npy"), x.astype(np.float32))
            np.save(path("wh.npy"), w.astype(np.float32))
            want = torch.nn.functional.conv2d(torch.from_numpy(x.astype(np.float32)), torch.from_numpy(w.astype(np.float32)),
                                              padding=1).numpy()
            oracle = "PyTorch" if name == "NaN and inf inputs" else "the reference engine"
            for engine in ("reference", "gemm", "fast"):
                out = path(f"yh_{engine}.npy")
                p = run(cli, "conv", "--input", path("xh.npy"), "--weight", path("wh.npy"), "--padding", "1",
                        "--engine", engine, "--output", out, "--force")
                got = np.load(out) if p.returncode == 0 else None
                if engine == "reference" and oracle != "PyTorch":
                    want = got
                same = got is not None and got.shape == want.shape and np.array_equal(np.isnan(got), np.isnan(want)) \
                    and np.array_equal(np.isposinf(got), np.isposinf(want)) and np.array_equal(np.isneginf(got), np.isneginf(want))
                expect(f"NaN/Inf parity with {oracle} ({name}, --engine {engine})", same,
                       (p.stderr, None if got is None else (np.argwhere(np.isnan(got) != np.isnan(want))[:3].tolist(),
                                                            np.argwhere(np.isinf(got) != np.isinf(want))[:3].tolist())))

        # ---- ONNX: one verdict for odd nodes, the nesting limit named ----
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        def conv_model(strides, declared):
            w = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "w")
            node = helper.make_node("Conv", ["x", "w"], ["y"], name="odd", strides=strides)
            x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8] if declared else None)
            y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
            return helper.make_model(helper.make_graph([node], "g", [x], [y], [w]))

        for declared in (True, False):
            onnx.save(conv_model([0, 0], declared), path("strides0.onnx"))
            p = run(cli, "onnx-list", path("strides0.onnx"), "--json")
            doc = json.loads(p.stdout) if p.stdout.strip() else {}
            nodes = doc.get("nodes", doc.get("layers", []))
            expect(f"onnx-list: a Conv with strides [0, 0] is not runnable ({'declared' if declared else 'unknown'} input shape)",
                   doc.get("usable_layers") == 0 and "non-positive stride is not supported" in p.stdout, p.stdout[:600])

        def nested(depth):
            def leaf(name):
                return helper.make_graph([helper.make_node("Identity", ["c"], [name])], "leaf", [],
                                         [helper.make_tensor_value_info(name, TensorProto.BOOL, None)])
            inner = leaf("o0")
            for i in range(depth):  # the else branch is a leaf: the model grows linearly with the depth
                node = helper.make_node("If", ["c"], [f"o{i + 1}"], then_branch=inner, else_branch=leaf(f"o{i + 1}"))
                inner = helper.make_graph([node], f"g{i}", [], [helper.make_tensor_value_info(f"o{i + 1}", TensorProto.BOOL, None)])
            c = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
            graph = helper.make_graph(list(conv_model([1, 1], True).graph.node) + list(inner.node), "deep",
                                      [c, helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 8, 8])],
                                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                                      list(conv_model([1, 1], True).graph.initializer))
            return helper.make_model(graph)

        with open(path("deep.onnx"), "wb") as f:
            f.write(nested(40).SerializeToString())  # 40 nested If subgraphs: > 100 protobuf messages deep
        p = run(cli, "onnx-list", path("deep.onnx"))
        expect("onnx-list of a validly but deeply nested model names the nesting limit",
               p.returncode == 1 and "nest deeper than protobuf's recursion limit of 100" in p.stderr, p.stderr)
        with open(path("deep.onnx"), "wb") as f:
            f.write(nested(40).SerializeToString()[:-7])
        p = run(cli, "onnx-list", path("deep.onnx"))
        expect("a truncated model is still called truncated", p.returncode == 1 and "truncated" in p.stderr, p.stderr)

        # A scene naming a file outside its folder reads nothing unless --allow-outside-paths says yes.
        os.makedirs(path("scenes"))
        np.save(path("w_outside.npy"), np.ones((4, 3, 3, 3), np.float32))
        scene = {"version": 1, "layer": {"dims": 2, "in_channels": 3, "out_channels": 4, "kernel_size": [3, 3],
                                          "bias": False},
                 "input": {"kind": "builtin", "name": "sunset", "height": 8, "width": 8},
                 "weights": {"kind": "npy", "weight": "../w_outside.npy"}}
        with open(path("scenes/outside.json"), "w") as f:
            json.dump(scene, f)
        p = run(cli, "demo", "--scene", path("scenes/outside.json"), "--at", "0,0,0,0")
        expect("demo --scene with ../w.npy refuses by JSON key, reading nothing",
               p.returncode == 1 and "outside its folder: weights.weight = " + path("w_outside.npy") in p.stderr
               and "--allow-outside-paths" in p.stderr, p.stderr)
        p = run(cli, "demo", "--scene", path("scenes/outside.json"), "--at", "0,0,0,0", "--allow-outside-paths", "--json")
        expect("demo --scene --allow-outside-paths reads it (all-ones 3x3x3 weight on the built-in input)",
               p.returncode == 0 and "value" in p.stdout, p.stderr)

    if FAILURES:
        print(f"{len(FAILURES)} failure(s)")
        return 1
    print("all CLI hardening checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
