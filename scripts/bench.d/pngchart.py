"""A small grouped bar chart written as PNG with the standard library only (zlib + a 5x7
bitmap font), so the benchmark needs no plotting package. Two panels: requests/s and p99
latency per scenario, the contenders side by side."""
import struct
import zlib

_FONT_SRC = {
    "A": ".###.#...##...#######...##...##...#", "B": "####.#...##...#####.#...##...#####.",
    "C": ".###.#...##....#....#....#...#.###.", "D": "###..#..#.#...##...##...##..#.###..",
    "E": "######....#....####.#....#....#####", "F": "######....#....####.#....#....#....",
    "G": ".###.#...##....#.####...##...#.####", "H": "#...##...##...#######...##...##...#",
    "I": ".###...#....#....#....#....#...###.", "J": "..###...#....#....#....##..#..##...",
    "K": "#...##..#.#.#..##...#.#..#..#.#...#", "L": "#....#....#....#....#....#....#####",
    "M": "#...###.###.#.##.#.##...##...##...#", "N": "#...##...###..##.#.##..###...##...#",
    "O": ".###.#...##...##...##...##...#.###.", "P": "####.#...##...#####.#....#....#....",
    "Q": ".###.#...##...##...##.#.##..#..##.#", "R": "####.#...##...#####.#.#..#..#.#...#",
    "S": ".#####....#.....###.....#....#####.", "T": "#####..#....#....#....#....#....#..",
    "U": "#...##...##...##...##...##...#.###.", "V": "#...##...##...##...##...#.#.#...#..",
    "W": "#...##...##...##.#.##.#.##.#.#.#.#.", "X": "#...##...#.#.#...#...#.#.#...##...#",
    "Y": "#...##...#.#.#...#....#....#....#..", "Z": "#####....#...#...#...#...#....#####",
    "0": ".###.#...##..###.#.###..##...#.###.", "1": "..#...##....#....#....#....#...###.",
    "2": ".###.#...#....#...#...#...#...#####", "3": "#####...#...#.....#.....##...#.###.",
    "4": "...#...##..#.#.#..#.#####...#....#.", "5": "######....####.....#....##...#.###.",
    "6": "..##..#...#....####.#...##...#.###.", "7": "#####....#...#...#...#....#....#...",
    "8": ".###.#...##...#.###.#...##...#.###.", "9": ".###.#...##...#.####....#...#..##..",
    ",": "....................##....#...#....",
    "-": "...............#####...............", ":": ".......##...##.........##...##.....", "(": "...#...#...#....#....#.....#.....#.",
    ")": ".#.....#.....#....#....#...#...#...", "%": "##...##..#...#...#...#...#..##...##",
    "=": "..........#####.....#####..........", "+": ".......#....#..#####..#....#.......",
    "_": "..............................#####", "x": ".....#...#.#.#...#...#.#.#...#.....",
    " ": "." * 35,
}
FONT = {}
for _ch, _bits in _FONT_SRC.items():
    assert len(_bits) == 35, _ch
    FONT[_ch] = [[_bits[r * 5 + c] == "#" for c in range(5)] for r in range(7)]
FONT["."] = [[c in (1, 2) and r >= 5 for c in range(5)] for r in range(7)]
FONT["/"] = [[(r >= 1 and r <= 5 and c == 5 - r) for c in range(5)] for r in range(7)]

COLORS = {"tenant-edge": (230, 120, 30), "nginx": (40, 150, 70), "haproxy": (50, 100, 200)}
BLACK, GREY, LIGHT, WHITE = (30, 30, 30), (120, 120, 120), (225, 225, 225), (255, 255, 255)


class Canvas:
    def __init__(self, w, h):
        self.w, self.h = w, h
        self.px = bytearray(WHITE * (w * h))

    def rect(self, x0, y0, x1, y1, color):
        x0, x1 = max(0, int(x0)), min(self.w, int(x1))
        y0, y1 = max(0, int(y0)), min(self.h, int(y1))
        if x1 <= x0:
            return
        row = bytes(color) * (x1 - x0)
        for y in range(y0, y1):
            i = (y * self.w + x0) * 3
            self.px[i:i + len(row)] = row

    def text(self, x, y, s, scale=2, color=BLACK):
        s = s.replace("µ", "U").replace("×", "x")
        for ch in s:
            glyph = FONT.get(ch, FONT.get(ch.upper(), FONT[" "]))
            for r in range(7):
                for c in range(5):
                    if glyph[r][c]:
                        self.rect(x + c * scale, y + r * scale, x + (c + 1) * scale, y + (r + 1) * scale, color)
            x += 6 * scale

    @staticmethod
    def text_width(s, scale=2):
        return len(s) * 6 * scale - scale

    def png(self, path):
        raw = bytearray()
        stride = self.w * 3
        for y in range(self.h):
            raw.append(0)
            raw += self.px[y * stride:(y + 1) * stride]

        def chunk(kind, data):
            c = struct.pack(">I", len(data)) + kind + data
            return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")
            f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", self.w, self.h, 8, 2, 0, 0, 0)))
            f.write(chunk(b"IDAT", zlib.compress(bytes(raw), 9)))
            f.write(chunk(b"IEND", b""))


def _nice_step(vmax, ticks=5):
    if vmax <= 0:
        return 1.0
    raw = vmax / ticks
    mag = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 10 ** -(len(str(int(1 / raw))))
    for m in (1, 2, 2.5, 5, 10):
        if m * mag >= raw:
            return m * mag
    return 10 * mag


def _fmt_tick(v):
    if v >= 1000:
        return f"{v / 1000:g}K"
    return f"{v:g}"


def _fmt_val(v, key):
    if key == "rps":
        return f"{v / 1000:.1f}K" if v >= 1000 else f"{v:.0f}"
    return f"{v:.2f}" if v < 10 else f"{v:.1f}"


def write_chart(path, scenarios, summary, contenders, labels, subtitle):
    bar, gap_in, gap_grp = 40, 4, 44
    grp_w = len(contenders) * bar + (len(contenders) - 1) * gap_in
    left, right = 90, 30
    width = max(820, left + right + max(1, len(scenarios)) * (grp_w + gap_grp))
    panel_h, top = 260, 110
    gap_grp = max(gap_grp, (width - left - right) // max(1, len(scenarios)) - grp_w)
    height = top + 2 * (panel_h + 90) + 20
    cv = Canvas(width, height)
    cv.text(left, 16, "TENANT-EDGE VS NGINX VS HAPROXY", 3)
    cv.text(left, 46, subtitle.upper(), 1, GREY)
    # legend
    lx = left
    for c in contenders:
        cv.rect(lx, 66, lx + 16, 82, COLORS.get(c, GREY))
        cv.text(lx + 22, 67, labels[c].upper(), 2)
        lx += Canvas.text_width(labels[c].upper(), 2) + 40

    panels = [("rps", "REQUESTS/S (MEDIAN, HIGHER IS BETTER)"), ("p99_ms", "P99 LATENCY MS (MEDIAN, LOWER IS BETTER)")]
    for pi, (key, title) in enumerate(panels):
        y0 = top + pi * (panel_h + 90)
        base = y0 + 30 + panel_h
        cv.text(left, y0, title, 2)
        vals = [summary[s][c][key] for s in scenarios for c in contenders
                if c in summary[s] and summary[s][c].get(key) is not None]
        vmax = max(vals) if vals else 1.0
        step = _nice_step(vmax)
        top_val = step * (int(vmax / step) + 1)
        scale = panel_h / top_val
        t = 0.0
        while t <= top_val + 1e-9:
            y = base - t * scale
            cv.rect(left, y, width - right, y + 1, LIGHT)
            lab = _fmt_tick(t)
            cv.text(left - 8 - Canvas.text_width(lab, 1), y - 3, lab, 1, GREY)
            t += step
        cv.rect(left, base, width - right, base + 2, BLACK)
        for si, s in enumerate(scenarios):
            gx = left + gap_grp // 2 + si * (grp_w + gap_grp)
            for ci, c in enumerate(contenders):
                x = gx + ci * (bar + gap_in)
                v = summary[s].get(c, {}).get(key) if c in summary[s] else None
                if v is None:
                    cv.text(x + (bar - Canvas.text_width("N/A", 1)) // 2, base - 10, "N/A", 1, GREY)
                    continue
                h = v * scale
                cv.rect(x, base - h, x + bar, base, COLORS.get(c, GREY))
                lab = _fmt_val(v, key)
                cv.text(x + (bar - Canvas.text_width(lab, 1)) // 2, base - h - 10, lab, 1, BLACK)
            lab = s.upper()
            cv.text(gx + (grp_w - Canvas.text_width(lab, 2)) // 2, base + 10, lab, 2)
    cv.png(path)
