"""How a person reads a layer's name: "layer 1", "enc layer 2", "layer 1 ←" (charts, the CLI, the app).

One function, so the gradient chart, the per-layer norms, the unit hunt and the heatmap's title name
the same layer the same way. Layers are counted from 1 (the tensors count from 0).
"""

from __future__ import annotations


def layer_label(layer: int, direction: int = 0, *, mark_forward: bool = False, part: str = "") -> str:
    """`layer` and `direction` as the tensors count them (from 0; direction 1 is backward).

    `part` is "enc" or "dec" in an encoder-decoder ("" otherwise). A backward direction is always
    marked " ←"; a forward one " →" only with `mark_forward` (where both directions are listed side
    by side, so the forward one needs a mark too)."""
    arrow = " ←" if direction else (" →" if mark_forward else "")
    return f"{part + ' ' if part else ''}layer {layer + 1}{arrow}"


def stack_labels(layers: int, directions: int, part: str = "") -> dict[tuple[int, int], str]:
    """Every (layer, direction) of a stack named as a list of them shows it (both directions marked)."""
    return {
        (layer, d): layer_label(layer, d, mark_forward=directions == 2, part=part)
        for layer in range(layers)
        for d in range(directions)
    }
