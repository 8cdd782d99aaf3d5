#!/usr/bin/env python3
"""The Weight layouts window (seed question 6) in the real window under Xvfb, checked against NumPy and PyTorch.

The Q6 lesson loads assets/lessons/q6_keras_kernel.npy (a Keras kernel (5, 5, 3, 32)) and pins weight[3, 0, 1, 2]:
  * the lit element's value is the .npy file's kernel[1, 2, 0, 3], its float at the Keras offset of the file's
    C-order data, and torch.from_numpy(kernel).permute(3, 2, 0, 1)[3, 0, 1, 2] at the PyTorch offset of the
    permuted tensor's memory; the lesson's {layouts_*} placeholders say the same;
  * every drawn cell of both layouts shows its own element: each Keras cell's index maps to the same file element as
    the PyTorch cell with that index (checked on the file, not on the app's own arithmetic);
  * hovering a Keras cell lights that element in BOTH layouts (the white outline in the screenshot around the PyTorch
    cell of the same index and around the Keras cell), clicking a PyTorch cell pins it;
  * 1280x800 and UI scale 1.5.
Usage: layouts_gui_test.py --app build/convscope --assets assets
"""
import argparse
import os
import shutil
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_util import FAILURES, check, read_png, run_script as run, load_json as load  # noqa: E402


def cell(d, layout, index):
    for c in d["layouts"]["cells"]:
        if c["layout"] == layout and c["index"] == list(index):
            return c["rect"]
    return None


def white_outline(px, rect):
    """The lit outline: white just outside the cell's top and left edges."""
    x0, y0, x1, y1 = rect
    top = px((x0 + x1) / 2, y0 - 1)
    left = px(x0 - 1, (y0 + y1) / 2)
    return all(v >= 230 for v in top) and all(v >= 230 for v in left)


def check_lit(d, kernel, label):
    lit = d["layouts"]["lit"]
    o, i, ky, kx = lit["index"]
    torch_w = torch.from_numpy(kernel).permute(3, 2, 0, 1).contiguous()
    v_file = float(kernel[ky, kx, i, o])
    check(lit["keras"] == f"kernel[{ky}, {kx}, {i}, {o}]" and lit["pytorch"] == f"weight[{o}, {i}, {ky}, {kx}]",
          f"{label}: {lit['pytorch']} = {lit['keras']}")
    check(lit["value"] == v_file, f"{label}: value {lit['value']} = the file's kernel[{ky}, {kx}, {i}, {o}] = {v_file}")
    check(float(kernel.reshape(-1)[lit["keras_offset"]]) == v_file,
          f"{label}: Keras offset {lit['keras_offset']} holds it in the file's C-order data")
    check(float(torch_w.view(-1)[lit["pytorch_offset"]]) == v_file and float(torch_w[o, i, ky, kx]) == v_file,
          f"{label}: PyTorch offset {lit['pytorch_offset']} of permute(3, 2, 0, 1)'s memory holds it")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--assets", required=True)
    args = ap.parse_args()
    kernel = np.load(os.path.join(args.assets, "lessons", "q6_keras_kernel.npy"))
    check(kernel.shape == (5, 5, 3, 32), f"the bundled Keras kernel is {kernel.shape}")
    tmp = tempfile.mkdtemp(prefix="convscope_layouts_")
    try:
        run(args.app, f"""mouse 3 790
lesson q6_keras_layout
lesson_goto 2
frames 3
dump {tmp}/d1.json
screenshot {tmp}/s1.png
""", tmp, "pinned")
        d1 = load(tmp, "d1.json")
        L = d1["layouts"]
        check(L is not None and L["drawn"], "the Weight layouts window is drawn in Q6's step 2")
        check(L["pytorch_shape"] == [32, 3, 5, 5] and L["keras_shape"] == [5, 5, 3, 32], "both shapes")
        check(L["lit"] is not None and L["lit"]["index"] == [3, 0, 1, 2] and L["pinned"], "weight[3, 0, 1, 2] is pinned")
        check_lit(d1, kernel, "pinned")
        v = d1["lesson"]["values"]
        check(v.get("layouts_keras_offset") == str(L["lit"]["keras_offset"]) and
              v.get("layouts_pytorch_offset") == str(L["lit"]["pytorch_offset"]) and
              v.get("layouts_keras") == "kernel[1, 2, 0, 3]", f"the lesson's placeholders: {v}")
        # every drawn PyTorch and Keras cell of filter 3 names an element of the file; both layouts drew all 75
        torch_cells = {tuple(c["index"]) for c in L["cells"] if c["layout"] == "pytorch"}
        keras_cells = {tuple(c["index"]) for c in L["cells"] if c["layout"] == "keras"}
        every = {(3, i, ky, kx) for i in range(3) for ky in range(5) for kx in range(5)}
        check(torch_cells == every and keras_cells == every, "both layouts drew all 75 numbers of filter 3")
        _, _, px = read_png(os.path.join(tmp, "s1.png"))
        check(white_outline(px, cell(d1, "pytorch", (3, 0, 1, 2))) and white_outline(px, cell(d1, "keras", (3, 0, 1, 2))),
              "the pinned element is outlined in both layouts")

        # hover a Keras cell: that element lights in both; then click a PyTorch cell: it is pinned
        target = (3, 2, 4, 0)
        kx0, ky0, kx1, ky1 = cell(d1, "keras", target)
        other = (3, 1, 0, 4)
        tx0, ty0, tx1, ty1 = cell(d1, "pytorch", other)
        run(args.app, f"""lesson q6_keras_layout
lesson_goto 2
frames 3
mouse {(kx0 + kx1) / 2:.1f} {(ky0 + ky1) / 2:.1f}
frames 3
dump {tmp}/d2.json
screenshot {tmp}/s2.png
click {(tx0 + tx1) / 2:.1f} {(ty0 + ty1) / 2:.1f}
frames 2
mouse 3 790
frames 2
dump {tmp}/d3.json
ui_scale 1.5
frames 3
dump {tmp}/d4.json
screenshot {tmp}/s4.png
""", tmp, "hover")
        d2 = load(tmp, "d2.json")
        check(d2["layouts"]["lit"] is not None and d2["layouts"]["lit"]["index"] == list(target),
              f"hovering kernel[4, 0, 2, 3] lights weight{list(target)}: {d2['layouts']['lit']}")
        check_lit(d2, kernel, "hovered")
        _, _, px2 = read_png(os.path.join(tmp, "s2.png"))
        check(white_outline(px2, cell(d2, "pytorch", target)), "the hovered Keras element's PyTorch twin is outlined")
        check(not white_outline(px2, cell(d2, "pytorch", (3, 0, 1, 2))), "the pinned one is not lit while another is hovered")
        d3 = load(tmp, "d3.json")
        check(d3["layouts"]["pinned"] and d3["layouts"]["lit"]["index"] == list(other), f"a click pins weight{list(other)}")
        check_lit(d3, kernel, "clicked")
        d4 = load(tmp, "d4.json")
        check_lit(d4, kernel, "UI scale 1.5")
        check(len([c for c in d4["layouts"]["cells"] if c["layout"] in ("pytorch", "keras")]) == 150,
              "UI scale 1.5: both layouts drawn")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
