#!/usr/bin/env python3
"""The im2col / GEMM panel (View -> im2col / GEMM), run headless in the real window under Xvfb.

On the default scene (Conv2d(3, 192, 5, padding=2) on 32x32: X_col 1,024 x 75, W_row 192 x 75) and on strided,
grouped, padded layers (reflect with stride 2, dilation 2 and groups 2; a grouped circular Conv1d), at 1280x800 and
at UI scale 1.5:
  * the dump's sizes and size texts are PyTorch's: X_col = F.unfold(F.pad(x, pads, mode), k, dilation, stride)
    of the cursor's group, transposed; W_row = weight.reshape(C_out, -1) of the group;
  * the highlighted row is the cursor's row (y * W_out + x), its values are exactly the cursor's window
    (window.npy written by `export_tensors` from CursorState) and equal that row of live PyTorch's F.unfold, its
    padding flags mark exactly the cells outside the input; the highlighted W_row row is the cursor's filter;
    Y's highlighted cell is the output value at the cursor (the window's own output and live torch conv), and
    X_col row . W_row row + bias gives it;
  * a mouse click on another row of X_col moves the cursor to that output position, a click on a row of W_row
    selects that filter (at the same position), a click on a cell of Y moves to that filter and position;
  * screenshots are written (kept with --keep DIR for a person to look at); the panel's grid is drawn inside the
    window and the highlighted row is on screen.
Usage: im2col_gui_test.py --app build/convscope [--keep DIR]
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
from gui_util import FAILURES, check, run_script as run, load_json as load  # noqa: E402


def torch_x_col(d, tdir):
    """X_col of the dump's batch item and group, from the exported tensors through F.pad + F.unfold."""
    geo = d["geometry"]
    x = torch.from_numpy(np.load(os.path.join(tdir, "input.npy")))
    if geo["dims"] == 1:
        x = x.unsqueeze(2)  # (N, C, 1, L)
    pb, pe = geo["pad_begin"], geo["pad_end"]
    pads = (pb[1], pe[1], pb[0], pe[0])
    mode = geo["padding_mode"]
    xp = F.pad(x, pads) if mode == "zeros" else F.pad(x, pads, mode=mode)
    cpg = geo["c_in"] // geo["groups"]
    im = d["im2col"]
    g, n = im["group"], im["n"]
    cols = F.unfold(xp[n:n + 1, g * cpg:(g + 1) * cpg], kernel_size=tuple(geo["kernel"]), dilation=tuple(geo["dilation"]),
                    stride=tuple(geo["stride"]))
    return cols[0].T.numpy(), xp


def check_dump(d, tdir, tag):
    im = d["im2col"]
    geo = d["geometry"]
    c = d["cursor"]
    check(im is not None and im["drawn"], f"{tag}: the panel is drawn")
    Ho, Wo = geo["out"]
    kk = geo["kernel"][0] * geo["kernel"][1]
    cpg, opg = geo["c_in"] // geo["groups"], geo["c_out"] // geo["groups"]
    check(im["x_size"] == [Ho * Wo, cpg * kk], f"{tag}: X_col size {im['x_size']} = (H_out*W_out, C_in/groups*kH*kW)")
    check(im["w_size"] == [opg, cpg * kk] and im["y_size"] == [opg, Ho * Wo], f"{tag}: W_row {im['w_size']}, Y {im['y_size']}")
    check(im["row"] == c["y"] * Wo + c["x"] and im["position"] == [c["y"], c["x"]],
          f"{tag}: highlighted row {im['row']} is the cursor's position ({c['y']}, {c['x']})")
    check(im["group"] == c["c_out"] // opg and im["w_row"] == c["c_out"] % opg, f"{tag}: W_row row {im['w_row']} is filter {c['c_out']}")
    window = np.load(os.path.join(tdir, "window.npy")).reshape(-1)
    row = np.array(im["row_values"], dtype=np.float32)
    check(row.shape == window.shape and np.array_equal(row, window), f"{tag}: the highlighted row equals the cursor's window exactly")
    xcol, xp = torch_x_col(d, tdir)
    check(xcol.shape == tuple(im["x_size"]), f"{tag}: live F.unfold gives X_col {xcol.shape}")
    check(np.allclose(xcol[im["row"]], row, rtol=0, atol=0), f"{tag}: the row equals F.unfold's row {im['row']} (live PyTorch)")
    w = torch.from_numpy(np.load(os.path.join(tdir, "weight.npy")))
    w_row = w.reshape(geo["c_out"], -1)[c["c_out"]].numpy()
    check(np.array_equal(np.array(im["w_values"], dtype=np.float32), w_row), f"{tag}: W_row row = weight.reshape(C_out, -1)[{c['c_out']}]")
    # padding flags: the column's tap lies outside the real input
    pb = geo["pad_begin"]
    flags = []
    for k in range(cpg * kk):
        ky, kx = (k % kk) // geo["kernel"][1], k % geo["kernel"][1]
        py = c["y"] * geo["stride"][0] - pb[0] + ky * geo["dilation"][0]
        px = c["x"] * geo["stride"][1] - pb[1] + kx * geo["dilation"][1]
        flags.append(not (0 <= py < geo["in"][0] and 0 <= px < geo["in"][1]))
    check(im["row_padding"] == flags, f"{tag}: padding cells marked ({sum(flags)} of {len(flags)})")
    if geo["padding_mode"] == "zeros":
        check(all(v == 0 for v, p in zip(im["row_values"], flags) if p), f"{tag}: zero padding cells hold 0")
    # Y's highlighted cell: the window's output at the cursor, live torch's conv, and the row product
    out = torch.from_numpy(np.load(os.path.join(tdir, "output.npy")))
    if geo["dims"] == 1:
        out = out.unsqueeze(2)
    b = float(np.load(os.path.join(tdir, "bias.npy"))[c["c_out"]]) if os.path.exists(os.path.join(tdir, "bias.npy")) else 0.0
    torch_y = F.conv2d(xp[im["n"]:im["n"] + 1], w if geo["dims"] == 2 else w.unsqueeze(2), None, tuple(geo["stride"]), 0,
                       tuple(geo["dilation"]), geo["groups"])[0, c["c_out"], c["y"], c["x"]].item() + b
    check(im["y_value"] == d["output_at_cursor"] == out[im["n"], c["c_out"], c["y"], c["x"]].item(),
          f"{tag}: Y[{im['y_cell']}] = {im['y_value']} is the output at the cursor")
    if c["position_complete"]:
        # the layer's output comes from the fast kernel, the cursor sums in the reference's order: float tolerance
        check(abs(im["y_value"] - c["value"]) <= 1e-5 + 1e-5 * abs(c["value"]), f"{tag}: Y's cell is the cursor's value")
    check(abs(im["y_value"] - torch_y) <= 1e-4 + 1e-4 * abs(torch_y), f"{tag}: Y cell against live torch conv2d {torch_y}")
    dot = float(np.dot(row.astype(np.float64), w_row.astype(np.float64))) + b
    check(abs(dot - im["y_value"]) <= 1e-4 + 1e-4 * abs(dot), f"{tag}: X_col row . W_row row + bias = {dot:.6f}")
    # channel by channel the same sums as the cursor's
    sums = [float(np.dot(row[i * kk:(i + 1) * kk], w_row[i * kk:(i + 1) * kk])) for i in range(cpg)]
    check(all(abs(s - ch["sum"]) <= 1e-5 + 1e-5 * abs(s) for s, ch in zip(sums, c["channels"])),
          f"{tag}: per-channel blocks of the row give the cursor's channel sums")
    # the highlighted row is on screen, inside the window
    xg = im["x_grid"]
    check(xg["first_row"] <= im["row"] <= xg["last_row"], f"{tag}: highlighted row {im['row']} is drawn (rows {xg['first_row']}..{xg['last_row']})")
    ry = xg["y0"] + (im["row"] + 0.5) * xg["cell_h"]
    check(xg["clip"][1] <= ry <= xg["clip"][3], f"{tag}: highlighted row at y={ry:.0f} is inside the grid's view {xg['clip']}")
    wg, yg = im["w_grid"], im["y_grid"]
    check(wg["first_row"] <= im["w_row"] <= wg["last_row"], f"{tag}: highlighted W_row row {im['w_row']} is drawn")
    check(yg["first_row"] <= im["y_cell"][0] <= yg["last_row"] and yg["first_col"] <= im["y_cell"][1] <= yg["last_col"],
          f"{tag}: Y's highlighted cell {im['y_cell']} is drawn (rows {yg['first_row']}..{yg['last_row']}, "
          f"columns {yg['first_col']}..{yg['last_col']})")
    if im["channel_columns"] is not None:
        first = im["channel_columns"][0]
        check(xg["first_col"] <= first <= xg["last_col"], f"{tag}: the channel's first column {first} is drawn")
    elif im["mac_column"] is not None:
        check(xg["first_col"] <= im["mac_column"] <= xg["last_col"], f"{tag}: the MAC column {im['mac_column']} is drawn")
    win = d["window"]
    for name in ("x_grid", "w_grid", "y_grid"):
        gr = im[name]
        check(0 <= gr["clip"][0] < gr["clip"][2] <= win["width"] and 0 <= gr["clip"][1] < gr["clip"][3] <= win["height"],
              f"{tag}: {name} inside the window {gr['clip']}")
        check(gr["cell_h"] >= 14 and gr["cell_w"] >= 30, f"{tag}: {name} cells {gr['cell_w']}x{gr['cell_h']} px hold a number")
        check(gr["last_row"] - gr["first_row"] + 1 <= gr["rows"] and gr["last_col"] - gr["first_col"] + 1 <= gr["cols"],
              f"{tag}: {name} draws only what is visible")
    return im


def click_point(grid, row, col=None):
    """Window pixel of the centre of cell (row, col); col None: the first column whose centre is in view."""
    if col is None:
        col = next((c for c in range(grid["first_col"], grid["last_col"] + 1)
                    if grid["x0"] + (c + 0.5) * grid["cell_w"] >= grid["clip"][0]), grid["first_col"])
    x = grid["x0"] + (col + 0.5) * grid["cell_w"]
    y = grid["y0"] + (row + 0.5) * grid["cell_h"]
    inside = grid["clip"][0] <= x < grid["clip"][2] and grid["clip"][1] <= y < grid["clip"][3]
    return x, y, inside


def other_visible_row(grid, row):
    for r in range(grid["first_row"], grid["last_row"] + 1):
        if r != row and click_point(grid, r)[2]:
            return r
    return None


SCENES = {
    # the default scene (S1): X_col 1,024 x 75, W_row 192 x 75
    "default": ["preset default", "wait", "granularity mac", "cursor 0 17 16 16", "step -30"],
    # channel steps: the channel's kH*kW columns are highlighted
    "channel": ["preset default", "wait", "granularity channel", "cursor 0 5 3 4", "step -1"],
    # reflect padding 2, stride 2, dilation 2, groups 2 (4 -> 6 channels on 12x12)
    "grouped": ["preset padding_modes", "wait", "set input_channels 4", "set in_channels 4", "set out_channels 6",
                "set groups 2", "set stride 2", "set dilation 2", "wait", "expect_ok", "granularity mac",
                "cursor 0 4 0 3", "step -7"],
    # Conv1d with circular padding and groups
    "conv1d": ["preset conv1d", "wait", "set padding 2", "set padding_mode circular", "set groups 2", "set stride 2",
               "wait", "expect_ok", "granularity position", "cursor 1 3 0 0"],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--keep", help="copy the screenshots and dumps here")
    args = ap.parse_args()
    if not shutil.which("xvfb-run"):
        print("xvfb-run not found")
        return 77
    tmp = tempfile.mkdtemp(prefix="im2col_gui_")
    T = lambda name: os.path.join(tmp, name)
    for scale in (1.0, 1.5):
        tag0 = "s1" if scale == 1.0 else "s15"
        for scene, setup in SCENES.items():
            tag = f"{tag0}_{scene}"
            tdir = T(tag + "_tensors")
            lines = [f"ui_scale {scale}", "im2col_panel on"] + setup + [
                "mouse 1270 790", "frames 3", f"dump {T(tag + '.json')}", f"screenshot {T(tag + '.png')}", f"export_tensors {tdir}",
                "mouse off"]
            if not run(args.app, lines, tmp, tag):
                continue
            d = load(T(tag + ".json"))
            im = check_dump(d, tdir, tag)
            if scene == "default":
                check(im["x_size"] == [1024, 75] and im["w_size"] == [192, 75], f"{tag}: S1's X_col 1,024 x 75 and W_row 192 x 75")
                check(im["texts"][0] == "X_col: 1,024 x 75 (H_out*W_out x C_in*kH*kW)", f"{tag}: size text {im['texts'][0]!r}")
                check(im["mac_column"] == d["cursor"]["mac"], f"{tag}: the MAC column is the cursor's MAC {d['cursor']['mac']}")
            if scene == "channel":
                ci, kk = d["cursor"]["ci"], 25
                check(ci == 1 and im["channel_columns"] == [ci * kk, ci * kk + kk - 1],
                      f"{tag}: channel steps highlight channel {ci}'s columns {im['channel_columns']}")
            if scene == "grouped":
                check(im["groups"] == 2 and "one per group (2 groups)" in im["texts"][0], f"{tag}: one block per group")
                check(d["geometry"]["padding_mode"] == "reflect" and any(im["row_padding"]),
                      f"{tag}: reflect padding cells in the row hold real values: {im['row_values']}")
            if scene == "conv1d":
                check(im["texts"][0].endswith("(L_out x C_in/groups*k), one per group (2 groups)"), f"{tag}: Conv1d text {im['texts'][0]!r}")
            # clicks: a row of X_col, then a row of W_row, then a cell of Y
            xg, wg, yg = im["x_grid"], im["w_grid"], im["y_grid"]
            r = other_visible_row(xg, im["row"])
            wr = other_visible_row(wg, im["w_row"])
            if not check(r is not None and wr is not None, f"{tag}: another X_col row and W_row row are visible to click"):
                continue
            cx, cy, _ = click_point(xg, r)
            wx, wy, _ = click_point(wg, wr)
            lines2 = lines[:-6] + ["frames 3", f"click {cx:.0f} {cy:.0f}", "frames 3", f"dump {T(tag + '_click_x.json')}",
                                   "mouse off", f"click {wx:.0f} {wy:.0f}", "frames 3", f"dump {T(tag + '_click_w.json')}"]
            if not run(args.app, lines2, tmp, tag + "_click"):
                continue
            a, b = load(T(tag + "_click_x.json")), load(T(tag + "_click_w.json"))
            Wo = d["geometry"]["out"][1]
            ca = a["cursor"]
            check((ca["n"], ca["c_out"], ca["y"] * Wo + ca["x"]) == (d["cursor"]["n"], d["cursor"]["c_out"], r),
                  f"{tag}: clicking X_col row {r} moved the cursor to ({ca['y']}, {ca['x']}) of the same filter")
            check(a["im2col"]["row"] == r and a["cursor"]["position_complete"], f"{tag}: the highlighted row follows the click")
            cb = b["cursor"]
            opg = d["geometry"]["c_out"] // d["geometry"]["groups"]
            check(cb["c_out"] == im["group"] * opg + wr and cb["y"] * Wo + cb["x"] == r,
                  f"{tag}: clicking W_row row {wr} selected filter {cb['c_out']} at the same position")
            # Y: a visible cell other than the highlighted one, after the two clicks
            yg2 = b["im2col"]["y_grid"]
            cells = [(rr, cc) for rr in range(yg2["first_row"], yg2["last_row"] + 1)
                     for cc in range(yg2["first_col"], yg2["last_col"] + 1)
                     if click_point(yg2, rr, cc)[2] and [rr, cc] != b["im2col"]["y_cell"]]
            inside = bool(cells)
            if cells:
                yr, ycol = cells[len(cells) // 2]
                yx, yy, _ = click_point(yg2, yr, ycol)
            if check(inside, f"{tag}: another cell of Y is visible to click"):
                lines3 = lines2 + ["mouse off", f"click {yx:.0f} {yy:.0f}", "frames 3", f"dump {T(tag + '_click_y.json')}"]
                if run(args.app, lines3, tmp, tag + "_click_y"):
                    e = load(T(tag + "_click_y.json"))["cursor"]
                    check(e["c_out"] == im["group"] * opg + yr and e["y"] * Wo + e["x"] == ycol,
                          f"{tag}: clicking Y[{yr}, {ycol}] moved the cursor to filter {e['c_out']}, ({e['y']}, {e['x']})")
    # Layer kind ConvTranspose turns the panel into GEMM + col2im (tests/im2col_transpose_gui_test.py); Conv brings X_col back
    lines = ["im2col_panel on", "preset default", "wait", "layer_kind transpose", "wait", "frames 3",
             f"dump {T('kind_transpose.json')}", "layer_kind conv", "wait", "frames 3", f"dump {T('kind_conv.json')}"]
    if run(args.app, lines, tmp, "layer_kind"):
        kt = load(T("kind_transpose.json"))["im2col"]
        check(kt is not None and kt["drawn"] and kt["mode"] == "transpose" and kt["columns_size"] == [9, 16],
              "layer_kind transpose: the panel shows the transposed layer's GEMM (columns 9 x 16)")
        back = load(T("kind_conv.json"))["im2col"]
        check(back is not None and back["drawn"] and back["x_size"] == [1024, 75], "layer_kind conv: the panel is back")
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
        for f in os.listdir(tmp):
            if f.endswith((".png", ".json")):
                shutil.copy(os.path.join(tmp, f), args.keep)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
