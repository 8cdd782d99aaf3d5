"""Helpers shared by the GUI tests: running the window on a script under Xvfb, reading its JSON dumps and PNG
screenshots (no imaging library needed), the diverging colormap of shaders/heatmap.frag, colour comparison, and the
ok/FAIL check log."""
import atexit
import json
import os
import struct
import subprocess
import tempfile
import zlib

_AUTH_FILES = []


@atexit.register
def _remove_auth_files():
    for path in _AUTH_FILES:
        try:
            os.remove(path)
        except OSError:
            pass


def xvfb():
    """The command prefix that runs a program under a new Xvfb screen of 1280x800. xvfb-run gets an X authority file
    of ours (-f): without one it makes a temporary folder, and when removing that folder fails (seen in CI) it exits
    5 and prints an error over the program's own exit code and stderr."""
    fd, path = tempfile.mkstemp(prefix="convscope_xauth_")
    os.close(fd)
    _AUTH_FILES.append(path)
    return ["xvfb-run", "-a", "-f", path, "-s", "-screen 0 1280x800x24"]

FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)
    return cond


def run_script(app, script, tmp, name, extra=(), timeout=600):
    """Runs `app [extra] --script tmp/NAME.txt` under Xvfb at 1280x800; `script` is the text or a list of lines. The
    settings folder is inside tmp (never the user's). Checks the exit code is 0 and returns whether it was."""
    path = os.path.join(tmp, name + ".txt")
    with open(path, "w") as f:
        f.write(script if isinstance(script, str) else "\n".join(script) + "\n")
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "xdg"))
    p = subprocess.run(xvfb() + [app] + list(extra) + ["--script", path], capture_output=True, text=True,
                       timeout=timeout, env=env)
    return check(p.returncode == 0, f"{name}: exit code {p.returncode} {p.stderr.strip()[-400:]}")


def load_json(*path):
    """A dump: load_json(path) or load_json(folder, name)."""
    with open(os.path.join(*path)) as f:
        return json.load(f)


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, "unsupported PNG"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(height):
        ftype, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ftype == 1:
                line[x] = (line[x] + a) & 255
            elif ftype == 2:
                line[x] = (line[x] + b) & 255
            elif ftype == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, lambda x, y: tuple(rows[int(y)][int(x) * bpp:int(x) * bpp + 3])


# ---- the diverging colormap of shaders/heatmap.frag ----
ZERO, POS_MID, POS_END = (0.969, 0.969, 0.969), (0.957, 0.647, 0.510), (0.404, 0.000, 0.122)
NEG_MID, NEG_END = (0.573, 0.773, 0.871), (0.020, 0.188, 0.380)


def diverging(v, scale):
    t = max(-1.0, min(1.0, v / scale)) if scale > 0 else 0.0
    a = abs(t)
    mid, end = (POS_MID, POS_END) if t >= 0 else (NEG_MID, NEG_END)
    if a < 0.5:
        col = [z + (m - z) * a * 2 for z, m in zip(ZERO, mid)]
    else:
        col = [m + (e - m) * (a * 2 - 1) for m, e in zip(mid, end)]
    return tuple(round(c * 255) for c in col)


def close(c1, c2, tol=6):
    return all(abs(a - b) <= tol for a, b in zip(c1, c2))
