"""The map of the hidden state's lessons on a preset trained in full (benchmarks/lessons.py prints
these under the preset's row): each measured number next to its target."""

from __future__ import annotations

from rnntui.core.map_lessons import landing, magnitude_order, negation_flips
from rnntui.core.predictor import Predictor
from rnntui.core.state_map import StateMapper
from rnntui.core.trainer import Trainer

MAP_LESSONS = ("sentiment", "doubling", "hello")


def map_lines(name: str, trainer: Trainer) -> list[str]:
    model = trainer.model.eval()
    fit = StateMapper(trainer.task, trainer.spec.train.batch_size).fit(model)
    if fit is None:
        return ["  map: no map (no validation states)"]
    predictor = Predictor(model, trainer.task)
    if name == "sentiment":
        lines = []
        for a, b in negation_flips(predictor, fit):
            flipped = a.region != b.region and a.region == a.predicted and b.region == b.predicted
            lines.append(
                f"  map: {a.prefix!r} lands {a.region} ({a.share:.0%}), {b.prefix!r} {b.region} ({b.share:.0%})"
                f"  target: across the line  {'yes' if flipped else 'no'}"
            )
        return lines
    if name == "doubling":
        order = magnitude_order(predictor, fit, [s[:-1] for s in trainer.task.val_seqs])
        return [
            f"  map: first axis vs log(number) |r| = {abs(order.first_axis_r):.2f}  target ≥ 0.8  "
            f"{'yes' if abs(order.first_axis_r) >= 0.8 else 'no'}",
            f"  map: neighbours' size gap / random pairs' = {order.neighbour_ratio:.2f}  target ≤ 0.5  "
            f"{'yes' if order.neighbour_ratio <= 0.5 else 'no'}",
        ]
    end = landing(predictor, fit, "HELL", k=10)
    return [
        f"  map: HELL ends where {end.region} is predicted ({end.share:.0%} of its 10 nearest)  target: O  "
        f"{'yes' if end.region == 'O' and end.share > 0.5 else 'no'}"
    ]
