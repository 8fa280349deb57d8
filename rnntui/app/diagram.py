"""The unrolled diagram of a network: time steps across, one row of cells per layer.

Pure text (no torch, no Textual) so it renders instantly on every Build change and is easy to test.
"""

from __future__ import annotations

from rnntui.core.spec import CELL_LABELS, ModelSpec

COL = 9  # characters per time step
# Sizes tried, widest first, when the diagram must fit a narrow panel: (time steps, characters per step).
FITS = ((4, 9), (3, 9), (3, 8), (2, 8))


def _box(cell: str) -> str:
    name = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "tanh", "rnn_relu": "relu"}.get(cell, "?")
    return f"[{name:^5}]"


def _row(items: list[str], col: int = COL) -> str:
    return "".join(f"{s:^{col}}" for s in items).rstrip()


def _cells(n: int, cell: str, bi: bool, label: str, col: int = COL) -> str:
    body = ""
    for i in range(n):
        box = _box(cell)
        pad = (col - len(box)) // 2
        segment = " " * pad + box + " " * (col - len(box) - pad)
        if i + 1 < n:
            # The link between two boxes sits in the padding around them.
            segment = segment[: pad + len(box)] + ("▶" if not bi else "⇄") + segment[pad + len(box) + 1 :]
        body += segment
    return f"{label:<5}" + body.rstrip()


def fitted_diagram(m: ModelSpec, width: int) -> str | None:
    """The largest diagram whose drawing (not its caption, which wraps) fits `width`, or None."""
    for steps, col in FITS:
        text = render_diagram(m, steps, col)
        drawing = text.splitlines()[:-1]
        if max(len(row) for row in drawing) <= width:
            return text
    return None


def render_diagram(m: ModelSpec, steps: int = 4, col: int = COL) -> str:
    """The network unrolled over `steps` time steps (encoder_decoder: that many on each side)."""
    layers = m.num_layers
    bi = m.bidirectional and m.pattern != "one_to_many"
    lines: list[str] = []
    indent = " " * 5
    if m.pattern == "encoder_decoder":
        return _render_encoder_decoder(m, steps, col)
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
        lines.append(_cells(steps, m.cell, bi, f"L{layer}", col))
        lines.append(indent + _row(up, col))
    lines.append(indent + _row(xs, col))
    lines.append(caption(m))
    return "\n".join(lines)


def _render_encoder_decoder(m: ModelSpec, steps: int, col: int = COL) -> str:
    indent = " " * 5
    half = max(2, steps - 1)
    gap = "  ┃  "
    enc_x = [f"x{t + 1}" for t in range(half)]
    dec_in = ["<s>"] + [f"y{t}" for t in range(1, half)]
    dec_y = [f"y{t + 1}" for t in range(half)]
    blank = " " * (col * half)
    lines = [indent + blank + gap + _row(dec_y, col), indent + blank + gap + _row(["▲"] * half, col)]
    for layer in range(m.num_layers, 0, -1):
        enc = _cells(half, m.cell, m.bidirectional, f"L{layer}", col)
        dec = _cells(half, m.cell, False, "", col)[5:]
        lines.append(f"{enc:<{5 + col * half}}" + "━━━━▶" + dec)
        lines.append(indent + _row(["▲"] * half, col).ljust(col * half) + gap + _row(["▲"] * half, col))
    lines.append(indent + _row(enc_x, col).ljust(col * half) + gap + _row(dec_in, col))
    lines.append((indent + f"{'encoder':^{col * half}}" + gap + f"{'decoder':^{col * half}}").rstrip())
    lines.append(caption(m))
    return "\n".join(lines)


def caption(m: ModelSpec) -> str:
    cell = CELL_LABELS.get(m.cell, m.cell)
    direction = "bidirectional (⇄: one pass each way, outputs joined)" if m.bidirectional else "unidirectional (▶)"
    what = {
        "many_to_many": "an output at every step",
        "many_to_one": "one output from the final state" + (" (last →, first ←)" if m.bidirectional else ""),
        "one_to_many": "one input sets the state; each output is fed back as the next input (↗)",
        "encoder_decoder": "the encoder's final state starts the decoder, which feeds back its outputs",
    }[m.pattern]
    return f"{cell}, {m.num_layers} layer{'s' if m.num_layers > 1 else ''} of {m.hidden_size}, {direction}: {what}"
