#!/usr/bin/env python3
"""The im2col / GEMM panel in Layer kind ConvTranspose (PyTorch's GEMM + col2im), run headless under Xvfb.

For a scatter walk (with cropped taps), a grouped layer at channel steps, the gather order and a ConvTranspose1d, at
1280x800 and at UI scale 1.5, against live PyTorch on the window's own x, weight and bias (from the dump):
  * W^T = weight[group].reshape(C_in/groups, -1).T and X = x[n, group].reshape(C_in/groups, -1) exactly, and the
    panel's columns = live torch W^T @ X;
  * col2im IS torch.nn.functional.fold: fold(columns of every group) + bias = live nn.ConvTranspose2d(x);
  * scatter: the highlighted column is the cursor's input element, its entries land on the stamp's cells (cropped
    taps marked), with one input channel per group its values ARE the stamp's products, and the MAC row is the
    cursor's MAC; gather: the outlined entries all land on the current output, one per real tap, and with the bias
    they sum to the output's value;
  * pixels: unhighlighted cells of columns have the diverging colour of their value;
  * clicks: a column of columns / X stamps that input element (scatter, also from the gather order), a cell of y
    gathers that output;
  * screenshots written (kept with --keep DIR for a person to look at).
Usage: im2col_transpose_gui_test.py --app build/convscope [--keep DIR]
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gui_util import FAILURES, check, close, diverging, read_png, run_script as run, load_json as load  # noqa: E402


def module_of(t):
    """torch.nn.ConvTranspose*d from the layer text the window wrote, with the window's weight and bias."""
    m = re.match(r"nn\.(ConvTranspose[12]d)\((.*)\)$", t["layer"])
    assert m, t["layer"]
    mod = eval("torch.nn." + m.group(1) + "(" + m.group(2) + ")")
    with torch.no_grad():
        mod.weight.copy_(torch.tensor(t["w"]).reshape(t["weight_shape"]))
        if mod.bias is not None:
            mod.bias.copy_(torch.tensor(t["bias"]))
    return mod


def as2d(t):
    """x (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW) and the per-axis settings, 1-D as H = 1."""
    x = torch.tensor(t["x"]).reshape(t["input_shape"])
    w = torch.tensor(t["w"]).reshape(t["weight_shape"])
    if x.dim() == 3:
        x, w = x.unsqueeze(2), w.unsqueeze(2)
    return x, w


def check_dump(d, tag):
    t, im = d["transpose"], d["im2col"]
    if not check(im is not None and im["drawn"] and im["mode"] == "transpose", f"{tag}: the panel is drawn in transposed mode"):
        return None
    x, w = as2d(t)
    N, C_in, H, W = x.shape
    groups = t["groups"]
    ipg, opg = C_in // groups, w.shape[1]
    kH, kW = w.shape[2], w.shape[3]
    kk = kH * kW
    n, g = im["n"], im["group"]
    check(im["wt_size"] == [opg * kk, ipg] and im["x_size"] == [ipg, H * W] and im["columns_size"] == [opg * kk, H * W],
          f"{tag}: W^T {im['wt_size']}, X {im['x_size']}, columns {im['columns_size']}")
    Wt = w[g * ipg:(g + 1) * ipg].reshape(ipg, -1).T
    X = x[n, g * ipg:(g + 1) * ipg].reshape(ipg, -1)
    check(torch.equal(torch.tensor(im["wt"]), Wt), f"{tag}: W^T = weight[group].reshape(C_in/groups, -1).T exactly")
    check(torch.equal(torch.tensor(im["x"]), X), f"{tag}: X = x[n, group].reshape(C_in/groups, H*W) exactly")
    cols = Wt @ X
    got = torch.tensor(im["columns"])
    check(torch.allclose(got, cols, rtol=1e-5, atol=1e-5), f"{tag}: columns = live torch W^T @ X (max diff {(got - cols).abs().max():.2g})")
    # col2im is F.fold: every group's columns, stacked in channel order, folded, plus the bias = ConvTranspose2d
    all_cols = torch.cat([w[gi * ipg:(gi + 1) * ipg].reshape(ipg, -1).T @ x[n, gi * ipg:(gi + 1) * ipg].reshape(ipg, -1)
                          for gi in range(groups)])
    Ho, Wo = im["y_size"]
    stride = t["stride"] if len(t["stride"]) == 2 else [1] + t["stride"]
    pad = t["padding"] if len(t["padding"]) == 2 else [0] + t["padding"]
    dil = t["dilation"] if len(t["dilation"]) == 2 else [1] + t["dilation"]
    folded = F.fold(all_cols.unsqueeze(0), (Ho, Wo), (kH, kW), dilation=tuple(dil), padding=tuple(pad), stride=tuple(stride))[0]
    if t["bias"]:
        folded = folded + torch.tensor(t["bias"]).view(-1, 1, 1)
    with torch.no_grad():
        y = module_of(t)(torch.tensor(t["x"]).reshape(t["input_shape"]))[n]
    y = y.reshape(folded.shape)
    check(torch.allclose(folded, y, rtol=1e-5, atol=1e-5),
          f"{tag}: F.fold(columns) + bias = live {t['layer']} (max diff {(folded - y).abs().max():.2g})")
    check(torch.equal(torch.tensor(t["y"]).reshape(N, -1, Ho, Wo)[n], folded) or torch.allclose(
        torch.tensor(t["y"]).reshape(N, -1, Ho, Wo)[n], folded, rtol=1e-5, atol=1e-5), f"{tag}: the window's y = fold + bias")
    ox_of = lambda r, c: ((c % W) * stride[1] - pad[1] + (r % kW) * dil[1])
    oy_of = lambda r, c: ((c // W) * stride[0] - pad[0] + ((r // kW) % kH) * dil[0])
    if t["order"] == "scatter":
        s = t["scatter"]
        col = s["iy"] * W + s["ix"]
        check(im["column"] == col, f"{tag}: highlighted column {im['column']} = input element ({s['iy']}, {s['ix']})")
        ents = im["column_entries"]
        check(len(ents) == len(s["taps"]) == opg * kk, f"{tag}: the column has one entry per tap of the stamp")
        lands_ok = all(e["cropped"] == tp["cropped"] and (tp["cropped"] or e["lands"] == [tp["oy"], tp["ox"]]) and e["co"] == tp["co"]
                       for e, tp in zip(ents, s["taps"]))
        check(lands_ok, f"{tag}: every entry lands where its tap does ({sum(e['cropped'] for e in ents)} cropped)")
        check(all(e["lands"] == [oy_of(e["row"], col), ox_of(e["row"], col)] for e in ents), f"{tag}: landing = i*s - p + k*d")
        check(all(e["value"] == cols[e["row"], col].item() or abs(e["value"] - cols[e["row"], col].item()) <= 1e-5 for e in ents),
              f"{tag}: the entries are torch's column {col}")
        if ipg == 1:
            check(all(e["value"] == tp["product"] for e, tp in zip(ents, s["taps"])), f"{tag}: one input channel: the column IS the stamp's products")
        if t["granularity"] == "mac":
            check(im["mac_row"] == s["mac"], f"{tag}: MAC row {im['mac_row']} = the cursor's MAC {s['mac']}")
            tap = s["taps"][s["mac"]]
            check(im["mac_cropped"] == tap["cropped"] and (tap["cropped"] and im["y_cell"] is None or im["y_cell"] == [tap["oy"], tap["ox"]]),
                  f"{tag}: the y cell {im['y_cell']} is where the MAC lands")
        elif t["granularity"] == "channel":
            check(im["mac_rows"] == [s["co"] * kk, s["co"] * kk + kk - 1], f"{tag}: channel steps: rows {im['mac_rows']} of output channel {s['co']}")
        cg = im["columns_grid"]
        check(cg["first_col"] <= col <= cg["last_col"], f"{tag}: the highlighted column is drawn ({cg['first_col']}..{cg['last_col']})")
    else:
        gt = t["gather"]
        ents = im["entries"]
        check(len(ents) * ipg == gt["contributing"] and len(ents) > 0, f"{tag}: {len(ents)} entries, one per real tap ({gt['contributing']} over {ipg} channels)")
        check(all(e["lands"] == [gt["y"], gt["x"]] and not e["cropped"] and e["co"] == gt["c_out"] for e in ents),
              f"{tag}: every outlined entry lands on y[{gt['c_out']}, {gt['y']}, {gt['x']}]")
        # the entries are ALL that land there: none of the others in this output channel's rows
        co = gt["c_out"] - g * opg
        others = [(r, c) for r in range(co * kk, co * kk + kk) for c in range(H * W)
                  if [oy_of(r, c), ox_of(r, c)] == [gt["y"], gt["x"]]]
        check(sorted(others) == sorted((e["row"], e["col"]) for e in ents), f"{tag}: and no other entry lands there")
        total = sum(cols[e["row"], e["col"]].item() for e in ents) + (t["bias"][gt["c_out"]] if t["bias"] else 0.0)
        check(abs(total - gt["value"]) <= 1e-4 + 1e-5 * abs(total), f"{tag}: Σ entries + bias = {total:.5g} = the output {gt['value']}")
        check(im["y_cell"] == [gt["y"], gt["x"]], f"{tag}: y cell {im['y_cell']} is the output")
    win = d["window"]
    for name in ("wt_grid", "x_grid", "columns_grid", "y_grid"):
        gr = im[name]
        check(0 <= gr["clip"][0] < gr["clip"][2] <= win["width"] and 0 <= gr["clip"][1] < gr["clip"][3] <= win["height"],
              f"{tag}: {name} inside the window {gr['clip']}")
        check(gr["cell_h"] >= 14 and gr["cell_w"] >= 30, f"{tag}: {name} cells {gr['cell_w']}x{gr['cell_h']} px hold a number")
    return im, cols, lambda r, c: not (0 <= oy_of(r, c) < Ho and 0 <= ox_of(r, c) < Wo)


def cell_point(grid, r, c, fx=0.5, fy=0.5):
    """Window pixel of a point in cell (r, c), and whether the whole cell is in view (clear of the scrollbars)."""
    x0, y0 = grid["x0"] + c * grid["cell_w"], grid["y0"] + r * grid["cell_h"]
    cl = grid["clip"]
    inside = cl[0] - 2 <= x0 and x0 + grid["cell_w"] <= cl[2] - 24 and cl[1] - 2 <= y0 and y0 + grid["cell_h"] <= cl[3] - 24
    return x0 + fx * grid["cell_w"], y0 + fy * grid["cell_h"], inside


def visible_cells(grid):
    return [(r, c) for r in range(grid["first_row"], grid["last_row"] + 1) for c in range(grid["first_col"], grid["last_col"] + 1)
            if cell_point(grid, r, c)[2]]


def check_pixels(im, cols, cropped, png, tag):
    _, _, px = read_png(png)
    cg = im["columns_grid"]
    scale = cols.abs().max().item()
    hot = {im["column"]} if im["column"] is not None else set()
    marked = {(e["row"], e["col"]) for e in im.get("entries", [])}
    tested = bad = 0
    for r, c in visible_cells(cg):
        if c in hot or (r, c) in marked or [r, c] == im.get("mac_entry") or cropped(r, c):
            continue
        x, y, _ = cell_point(cg, r, c, 0.12, 0.2)
        tested += 1
        if not close(px(x, y), diverging(cols[r, c].item(), scale), 8):
            bad += 1
    check(tested >= 2 and bad == 0, f"{tag}: {tested - bad} of {tested} cells of columns have their value's colour")


SCENES = {
    # the upsampler with padding 1: the corner taps are cropped
    "scatter": ["transpose_preset upsample", "transpose_set padding 1", "granularity mac", "transpose_cursor 0 0 0 3", "step -2"],
    # 4 -> 6 channels in 2 groups, stride 2, dilation 2, channel steps
    "grouped": ["transpose_preset upsample", "transpose_set in_channels 4", "transpose_set out_channels 6",
                "transpose_set groups 2", "transpose_set dilation 2", "granularity channel", "transpose_cursor 0 3 2 1", "step -1"],
    "gather": ["transpose_preset channels", "transpose_order gather", "granularity mac", "transpose_cursor 0 1 3 4", "step -3"],
    "conv1d": ["transpose_preset conv1d", "granularity mac", "transpose_cursor 0 0 0 2"],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--keep", help="copy the screenshots and dumps here")
    args = ap.parse_args()
    if not shutil.which("xvfb-run"):
        print("xvfb-run not found")
        return 77
    tmp = tempfile.mkdtemp(prefix="im2col_t_gui_")
    T = lambda name: os.path.join(tmp, name)
    for scale in (1.0, 1.5):
        for scene, setup in SCENES.items():
            tag = f"{'s1' if scale == 1.0 else 's15'}_{scene}"
            base = [f"ui_scale {scale}", "im2col_panel on", "layer_kind transpose", "wait"] + setup + ["mouse 1270 790", "frames 3"]
            if not run(args.app, base + [f"dump {T(tag + '.json')}", f"screenshot {T(tag + '.png')}"], tmp, tag):
                continue
            d = load(T(tag + ".json"))
            got = check_dump(d, tag)
            if not got:
                continue
            im, cols, cropped = got
            check_pixels(im, cols, cropped, T(tag + ".png"), tag)
            # clicks: another column of columns stamps that input element; a cell of y gathers that output
            cg, yg = im["columns_grid"], im["y_grid"]
            target = next(((r, c) for r, c in visible_cells(cg) if c != im["column"]), None)
            ycell = next(((r, c) for r, c in visible_cells(yg) if [r, c] != im["y_cell"]), None)
            if not check(target is not None and ycell is not None, f"{tag}: a column of columns and a y cell are visible to click"):
                continue
            cx, cy, _ = cell_point(cg, *target)
            yx, yy, _ = cell_point(yg, *ycell)
            target = target[1]
            ok = run(args.app, base + [f"click {cx:.0f} {cy:.0f}", "frames 3", f"dump {T(tag + '_c.json')}"], tmp, tag + "_click_c")
            ok = run(args.app, base + [f"click {yx:.0f} {yy:.0f}", "frames 3", f"dump {T(tag + '_y.json')}"], tmp, tag + "_click_y") and ok
            if not ok:
                continue
            # a row of W^T (co, ky, kx) in scatter order: the multiply-add of the current stamp that uses it
            wg = im["wt_grid"]
            wrow = next((r for r, c in visible_cells(wg) if r != (im.get("mac_row") if im.get("mac_row") is not None else -1)
                         and r > 0), None)
            if wrow is not None:
                wx, wy, _ = cell_point(wg, wrow, 0)
                if run(args.app, base + ["transpose_order scatter", "frames 2", f"click {wx:.0f} {wy:.0f}", "frames 3",
                                         f"dump {T(tag + '_w.json')}"], tmp, tag + "_click_w"):
                    w = load(T(tag + "_w.json"))["transpose"]
                    sw = w.get("scatter")
                    check(w["granularity"] == "mac" and sw is not None and sw["mac"] == wrow and
                          (sw["ky"], sw["kx"]) == (sw["taps"][wrow]["ky"], sw["taps"][wrow]["kx"]),
                          f"{tag}: clicking W^T row {wrow} moves to MAC {sw['mac'] if sw else None} of the stamp (MAC steps)")
            a, b = load(T(tag + "_c.json")), load(T(tag + "_y.json"))
            W = a["transpose"]["input_shape"][-1]
            sa = a["transpose"].get("scatter")
            check(a["transpose"]["order"] == "scatter" and sa is not None and (sa["iy"], sa["ix"]) == divmod(target, W)
                  and a["im2col"]["column"] == target,
                  f"{tag}: clicking column {target} of columns stamps input element {divmod(target, W)}")
            gb = b["transpose"].get("gather")
            check(b["transpose"]["order"] == "gather" and gb is not None and [gb["y"], gb["x"]] == list(ycell)
                  and gb["c_out"] == im["c_out"],
                  f"{tag}: clicking y{list(ycell)} gathers that output of channel {im['c_out']}")
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
