#!/usr/bin/env python3
"""The Batch vs channel window (seed question 2), run in the real window under Xvfb, checked against live PyTorch.

The two Q2 presets are exported with `export_tensors`, then the window is opened with a cursor and a pinned pixel:
  * the channel stack holds the batch's images (x_stack[0, k] == x_batch[k, 0]);
  * each side's value at the shared cursor is PyTorch's conv2d there; each image's share on the channel side is the
    convolution of that image alone with its slice of the weight; on the batch side only the cursor's image is read;
  * the perturbation demo: change the pinned pixel in PyTorch and every output that changes is lit, only item k's on
    the batch side, all six maps on the channel side; a lit output that does not change reads the pixel through a
    weight that is exactly 0;
  * one cursor: compare_cursor moves the scene on screen when it is one side; clicking a map moves both; clicking an
    image pins its pixel; another preset on screen leaves the window's cursor alone;
  * the screenshot: each drawn map tile shows the diverging colour of PyTorch's value; the cursor's map is outlined;
    at 1280x800 and at UI scale 1.5 every tile lies inside the window.
Usage: compare_gui_test.py --app build/convscope
"""
import argparse
import os
import shutil
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_util import FAILURES, check, close, diverging, read_png, run_script as run, load_json as load  # noqa: E402


def tensors(folder):
    t = {k: torch.from_numpy(np.load(os.path.join(folder, k + ".npy"))) for k in ("input", "weight", "output")}
    b = os.path.join(folder, "bias.npy")
    t["bias"] = torch.from_numpy(np.load(b)) if os.path.exists(b) else None
    return t


def rel_close(a, b):
    return abs(a - b) <= 1e-5 + 1e-5 * abs(b)


def check_side_values(d, A, B, label):
    cur = d["compare"]["cursor"]
    k, o, y, x = cur
    yb = F.conv2d(A["input"], A["weight"], A["bias"])
    ys = F.conv2d(B["input"], B["weight"], B["bias"])
    bs, cs = d["compare"]["batch"], d["compare"]["channels"]
    check(bs["output"] == [k, o, y, x] and cs["output"] == [0, o, y, x], f"{label}: both sides at the same cursor {cur}")
    check(rel_close(bs["value"], yb[k, o, y, x].item()), f"{label}: batch y{bs['output']} = {bs['value']:.6g} = PyTorch's")
    check(rel_close(cs["value"], ys[0, o, y, x].item()), f"{label}: channels y{cs['output']} = {cs['value']:.6g} = PyTorch's")
    check([i for i, v in enumerate(bs["contribution"]) if v is not None] == [k],
          f"{label}: the batch output reads image {k} only")
    check(rel_close(bs["contribution"][k] + bs["bias"], bs["value"]), f"{label}: batch share + bias = value")
    shares_ok = True
    for j, v in enumerate(cs["contribution"]):
        alone = F.conv2d(B["input"][:, j:j + 1], B["weight"][:, j:j + 1])[0, o, y, x].item()
        shares_ok &= v is not None and abs(v - alone) <= 1e-5 + 1e-5 * abs(alone)
    check(shares_ok, f"{label}: each image's share on the channel side = conv2d of that image alone: {cs['contribution']}")
    bias = B["bias"][o].item() if B["bias"] is not None else 0.0
    check(rel_close(cs["bias"], bias), f"{label}: channel-side bias = b[{o}]")


def check_perturbation(d, A, B, label):
    k, iy, ix = d["compare"]["pixel"]
    for side, T in (("batch", A), ("channels", B)):
        x = T["input"].clone()
        if side == "batch":
            x[k, 0, iy, ix] += 1.0
        else:
            x[0, k, iy, ix] += 1.0
        before = F.conv2d(T["input"], T["weight"], T["bias"])
        after = F.conv2d(x, T["weight"], T["bias"])
        changed = {tuple(i) for i in (after != before).nonzero().tolist()}
        lit = {tuple(o) for o in d["compare"][side]["lit"]}
        check(changed <= lit and len(changed) > 0, f"{label} {side}: the {len(changed)} outputs PyTorch changes are lit ({len(lit)})")
        c = 0 if side == "batch" else k
        unchanged_ok = all(T["weight"][o, c, iy - oy, ix - ox].item() == 0.0 for (n, o, oy, ox) in lit - changed)
        check(unchanged_ok, f"{label} {side}: lit outputs that stay put read the pixel through a zero weight "
                            f"({len(lit - changed)} of them)")
        if side == "batch":
            check({n for (n, _, _, _) in lit} == {k}, f"{label} batch: only item {k}'s maps are lit")
        else:
            check({o for (_, o, _, _) in lit} == set(range(T["weight"].shape[0])), f"{label} channels: every map is lit")


def check_screenshot(d, png, label):
    w, h, _ = read_png(png)
    inside = True
    for side in ("batch", "channels"):
        for t in d["compare"][side]["tiles"]:
            right, bottom = t["x"] + t["cols"] * t["cell"], t["y"] + t["rows"] * t["cell"]
            inside &= t["x"] >= 0 and t["y"] >= 0 and right <= w and bottom <= h
    check(inside, f"{label}: every tile inside the {w}x{h} window")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="convscope_compare_")
    try:
        a_dir, b_dir = os.path.join(tmp, "batch"), os.path.join(tmp, "stack")
        run(args.app, f"""mouse 3 790
preset batch_vs_channel
export_tensors {a_dir}
preset channel_stack
export_tensors {b_dir}
compare on
compare_cursor 1 3 11 9
compare_pin 2 12 14
wait
frames 2
dump {tmp}/d1.json
screenshot {tmp}/s1.png
ui_scale 1.5
frames 3
dump {tmp}/d15.json
screenshot {tmp}/s15.png
""", tmp, "first")
        A, B = tensors(a_dir), tensors(b_dir)
        check(A["input"].shape == (3, 1, 28, 28) and B["input"].shape == (1, 3, 28, 28), "the two presets' input shapes")
        check(torch.equal(B["input"][0], A["input"][:, 0]), "the channel stack holds the batch's three images")
        d1 = load(tmp, "d1.json")
        cmp = d1["compare"]
        check(cmp is not None and cmp["drawn"], "the Batch vs channel window is drawn")
        check(cmp["linked"] == "channels" and cmp["cursor"] == [1, 3, 11, 9], f"cursor {cmp['cursor']}, linked {cmp['linked']}")
        c = d1["cursor"]
        check([c["n"], c["c_out"], c["y"], c["x"]] == [0, 3, 11, 9], "the channel-stack scene on screen moved with it")
        check_side_values(d1, A, B, "1280x800")
        check_perturbation(d1, A, B, "1280x800")
        for name, png, d in (("1280x800", "s1.png", d1), ("UI scale 1.5", "s15.png", load(tmp, "d15.json"))):
            check_screenshot(d, os.path.join(tmp, png), name)
            n_tiles = {s: len(d["compare"][s]["tiles"]) for s in ("batch", "channels")}
            check(n_tiles == {"batch": 3 + 18, "channels": 3 + 6}, f"{name}: every image and map tile drawn {n_tiles}")
        # the cursor's map is outlined in the window colour (255, 221, 0) just outside the tile
        w, h, px = read_png(os.path.join(tmp, "s1.png"))
        t = [t for t in cmp["batch"]["tiles"] if t["kind"] == "map" and t["n"] == 1 and t["c"] == 3][0]
        edge = px(t["x"] + t["cols"] * t["cell"] / 2, t["y"] - 1.5)
        check(close(edge, (255, 221, 0), 40), f"the cursor's batch map y[1, 3] is outlined in yellow {edge}")
        # a map tile's cell shows PyTorch's value in the diverging colours
        yb = F.conv2d(A["input"], A["weight"], A["bias"])
        t0 = [t for t in cmp["batch"]["tiles"] if t["kind"] == "map" and t["n"] == 2 and t["c"] == 0][0]
        flat = int(yb[2, 0].abs().argmax())  # the strongest cell: a saturated colour, not the white of 0
        oy, ox = flat // yb.shape[3], flat % yb.shape[3]
        colour = px(t0["x"] + (ox + 0.5) * t0["cell"], t0["y"] + (oy + 0.5) * t0["cell"])
        want = diverging(yb[2, 0, oy, ox].item(), cmp["batch"]["scale"])
        check(close(colour, want, 12), f"y[2, 0, {oy}, {ox}] drawn as {colour}, PyTorch's value gives {want}")

        # clicks: a map moves both cursors (the stack on screen: item 0), an image pins its pixel
        tm = [t for t in cmp["batch"]["tiles"] if t["kind"] == "map" and t["n"] == 2 and t["c"] == 5][0]
        ti = [t for t in cmp["channels"]["tiles"] if t["kind"] == "image" and t["c"] == 0][0]
        cx, cy = tm["x"] + (4 + 0.5) * tm["cell"], tm["y"] + (7 + 0.5) * tm["cell"]
        px_, py_ = ti["x"] + (5 + 0.5) * ti["cell"], ti["y"] + (6 + 0.5) * ti["cell"]
        run(args.app, f"""preset channel_stack
compare on
compare_cursor 1 3 11 9
wait
frames 2
click {cx:.1f} {cy:.1f}
frames 2
dump {tmp}/d2.json
click {px_:.1f} {py_:.1f}
frames 2
mouse 3 790
frames 1
dump {tmp}/d3.json
preset batch_vs_channel
compare_cursor 2 4 5 6
wait
frames 2
dump {tmp}/d4.json
preset default
wait
frames 2
dump {tmp}/d5.json
""", tmp, "clicks")
        d2, d3, d4, d5 = (load(tmp, f"d{i}.json") for i in (2, 3, 4, 5))
        c2 = d2["cursor"]
        check(d2["compare"]["cursor"] == [2, 5, 7, 4], f"click on y[2, 5] at (7, 4): window cursor {d2['compare']['cursor']}")
        check([c2["n"], c2["c_out"], c2["y"], c2["x"]] == [0, 5, 7, 4], "the channel-stack scene on screen followed: y[0, 5, 7, 4]")
        check(d3["compare"]["pinned"] and d3["compare"]["pixel"] == [0, 6, 5], f"click on image 0 at (6, 5) pins it: {d3['compare']['pixel']}")
        check_perturbation(d3, A, B, "pinned by click")
        c4 = d4["cursor"]
        check(d4["compare"]["linked"] == "batch" and [c4["n"], c4["c_out"], c4["y"], c4["x"]] == [2, 4, 5, 6],
              "with Q2a on screen compare_cursor 2 4 5 6 moves the batch scene to y[2, 4, 5, 6]")
        check_side_values(d4, A, B, "Q2a on screen")
        check(d5["compare"]["linked"] is None and d5["compare"]["cursor"] == [2, 4, 5, 6],
              "another preset on screen: not linked, the window keeps its cursor")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
