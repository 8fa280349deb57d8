"""Every place that names a layer names it the same way (core/labels.py)."""

from __future__ import annotations

from rnntui.core.hunt import Unit
from rnntui.core.labels import layer_label


def test_layer_labels_count_from_one_and_mark_directions_and_parts():
    assert layer_label(0) == "layer 1"
    assert layer_label(1, 1) == "layer 2 ←"
    assert layer_label(0, 0, mark_forward=True) == "layer 1 →"
    assert layer_label(0, 1, mark_forward=True) == "layer 1 ←"
    assert layer_label(2, part="dec") == "dec layer 3"
    assert layer_label(0, 0, mark_forward=True, part="enc") == "enc layer 1 →"


def test_a_hunted_unit_is_named_by_its_layer_label():
    assert Unit(0, 0, 5, 0.9).label() == "layer 1 unit 5"
    assert Unit(1, 1, 3, -0.2).label() == "layer 2 ← unit 3"
