"""The unrolled diagram of a network: time steps across, one row of cells per layer.

Pure text (no torch, no Textual) so it renders instantly on every Build change and is easy to test.
"""

from __future__ import annotations

from rnntui.core.spec import CELL_LABELS, ModelSpec

COL = 9  # characters per time step
# Sizes tried, widest first, when the diagram must fit a narrow panel: (time steps, characters per step).
FITS = ((4, 9), (3, 9), (3, 8), (2, 8))
# ...and with room to spare (a tall terminal), cells drawn as boxes of three rows, wider apart.
TALL_FITS = ((4, 12), (4, 11), (4, 10), (3, 12), (3, 11), (3, 10))
NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "tanh", "rnn_relu": "relu"}
BOX = 7  # a cell's width: "[LSTM ]", or "╭─────╮"


def _boxes(cell: str, tall: bool) -> list[str]:
    """A cell's drawing, one string a row (three when tall)."""
    name = f"{NAMES.get(cell, '?'):^5}"
    return ["╭─────╮", f"│{name}│", "╰─────╯"] if tall else [f"[{name}]"]


def _row(items: list[str], col: int = COL) -> str:
    return "".join(f"{s:^{col}}" for s in items).rstrip()


def _link(bi: bool, gap: int, tall: bool) -> str:
    """What joins one step's cell to the next, `gap` characters: ▶ (or ⇄ both ways), an arrow
    across the whole gap between boxes of three rows."""
    if tall:
        return ("◀" + "─" * (gap - 2) if bi else "─" * (gap - 1)) + "▶"
    return ("⇄" if bi else "▶").ljust(gap)


def _cells(n: int, cell: str, bi: bool, label: str, col: int = COL, tall: bool = False) -> list[str]:
    """`n` cells of one layer and the links between them, one string a row; the layer's label
    on the linked row."""
    boxes = _boxes(cell, tall)
    pad = (col - BOX) // 2
    link = _link(bi, col - BOX, tall)
    rows = []
    for r, box in enumerate(boxes):
        body = "".join(" " * pad + box + " " * (col - BOX - pad) for _ in range(n))
        linked = r == len(boxes) // 2
        if linked:
            for i in range(n - 1):
                start = i * col + pad + BOX
                body = body[:start] + link + body[start + len(link) :]
        rows.append(f"{label if linked else '':<5}" + body.rstrip())
    return rows


def fitted_diagram(m: ModelSpec, width: int, tall: bool = False) -> str | None:
    """The largest diagram whose drawing (not its caption, which wraps) fits `width`, or None;
    when `tall` (there is room under it), with boxes of three rows if that shows as many steps."""

    def fits(text: str) -> bool:
        return max(len(row) for row in text.splitlines()[:-1]) <= width

    flat = next(((steps, col) for steps, col in FITS if fits(render_diagram(m, steps, col))), None)
    if flat is None:
        return None
    for steps, col in TALL_FITS if tall else ():
        text = render_diagram(m, steps, col, tall=True)
        if steps >= flat[0] and fits(text):
            return text
    return render_diagram(m, *flat)


def render_diagram(m: ModelSpec, steps: int = 4, col: int = COL, tall: bool = False) -> str:
    """The network unrolled over `steps` time steps (encoder_decoder: that many on each side)."""
    layers = m.num_layers
    bi = m.bidirectional and m.pattern != "one_to_many"
    lines: list[str] = []
    indent = " " * 5
    if m.pattern == "encoder_decoder":
        return _render_encoder_decoder(m, steps, col, tall)
    xs = [f"x{t + 1}" for t in range(steps)]
    if m.pattern == "one_to_many":
        xs = ["x"] + [f"y{t}↗" for t in range(1, steps)]
    ys = [f"y{t + 1}" for t in range(steps)]
    up = ["▲"] * steps
    if m.pattern == "many_to_one":
        ys = [""] * (steps - 1) + ["y"]
        out_up = [""] * (steps - 1) + ["▲"]
    else:
        out_up = up
    lines.append(indent + _row(ys, col))
    lines.append(indent + _row(out_up, col))
    for layer in range(layers, 0, -1):
        lines += _cells(steps, m.cell, bi, f"L{layer}", col, tall)
        lines.append(indent + _row(up, col))
    lines.append(indent + _row(xs, col))
    lines.append(caption(m, tall))
    return "\n".join(lines)


def _render_encoder_decoder(m: ModelSpec, steps: int, col: int = COL, tall: bool = False) -> str:
    indent = " " * 5
    half = max(2, steps - 1)
    gap = "  ┃  "
    enc_x = [f"x{t + 1}" for t in range(half)]
    dec_in = ["<s>"] + [f"y{t}" for t in range(1, half)]
    dec_y = [f"y{t + 1}" for t in range(half)]
    blank = " " * (col * half)
    lines = [indent + blank + gap + _row(dec_y, col), indent + blank + gap + _row(["▲"] * half, col)]
    for layer in range(m.num_layers, 0, -1):
        enc = _cells(half, m.cell, m.bidirectional, f"L{layer}", col, tall)
        dec = _cells(half, m.cell, False, "", col, tall)
        for r, (e, d) in enumerate(zip(enc, dec, strict=True)):
            if r == len(enc) // 2:  # the encoder's final state, drawn into the decoder's first cell
                into = d[5:].lstrip(" ")
                arrow = "━" * (5 + len(d[5:]) - len(into) - 1) + "▶"
                lines.append(e.ljust(5 + col * half, "━") + arrow + into)
            else:
                lines.append(e.ljust(5 + col * half) + gap + d[5:])
        lines.append(indent + _row(["▲"] * half, col).ljust(col * half) + gap + _row(["▲"] * half, col))
    lines.append(indent + _row(enc_x, col).ljust(col * half) + gap + _row(dec_in, col))
    lines.append((indent + f"{'encoder':^{col * half}}" + gap + f"{'decoder':^{col * half}}").rstrip())
    lines.append(caption(m, tall))
    return "\n".join(lines)


def caption(m: ModelSpec, tall: bool = False) -> str:
    cell = CELL_LABELS.get(m.cell, m.cell)
    both, one = ("◀─▶", "─▶") if tall else ("⇄", "▶")  # as the links are drawn
    direction = (
        f"bidirectional ({both}: one pass each way, outputs joined)" if m.bidirectional else f"unidirectional ({one})"
    )
    what = {
        "many_to_many": "an output at every step",
        "many_to_one": "one output from the final state" + (" (last →, first ←)" if m.bidirectional else ""),
        "one_to_many": "one input sets the state; each output is fed back as the next input (↗)",
        "encoder_decoder": "the encoder's final state starts the decoder, which feeds back its outputs",
    }[m.pattern]
    if m.pattern == "encoder_decoder" and m.attention != "none":
        what += f"; with {m.attention} attention each decoder step also looks at every encoder step"
    return f"{cell}, {m.num_layers} layer{'s' if m.num_layers > 1 else ''} of {m.hidden_size}, {direction}: {what}"
