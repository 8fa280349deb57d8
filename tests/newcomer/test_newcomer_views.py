"""What a newcomer trips on in the views (issue 13, findings 1, 3, 4, 9): each a Pilot test."""

from __future__ import annotations

from app_helpers import inject, ready, wait_for
from textual.widgets import Input, Static

from rnntui.app.app import RnnApp
from rnntui.app.messages import TrainerReplied
from rnntui.app.state import Phase
from rnntui.app.widgets.form import Choice
from rnntui.app.widgets.predict_view import PredictView
from rnntui.core import events as ev


async def test_fixing_an_invalid_setting_unblocks_training(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        built = app.training.spec
        lr = app.query_one("#lr", Input)
        lr.value = "fast"
        await wait_for(pilot, lambda: app.training.phase is Phase.BLOCKED)
        assert "loading torch" not in str(app.query_one("#params", Static).content)
        lr.value = "0.01"  # back to what was built: nothing to rebuild, but no longer blocked
        await wait_for(pilot, lambda: app.training.phase is not Phase.BLOCKED and app.training.phase is Phase.READY)
        assert app.training.spec == built and not str(app.query_one("#build-error", Static).content)
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.step > 0)


async def test_space_trains_from_build_even_inside_a_field(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        field = app.query_one("#hidden_size", Input)
        field.focus()
        await pilot.pause()
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.step > 0)
        assert field.value == "64"
        await pilot.press("space")  # and pauses
        await wait_for(pilot, lambda: app.training.phase is Phase.PAUSED)


async def test_build_focus_order_is_down_the_columns(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        order = []
        for key in ["tab"] + ["down"] * 11:
            await pilot.press(key)
            await pilot.pause()
            order.append(app.focused.id)
        assert order == [
            "cell",
            "pattern",
            "direction",
            "attention",
            "optimizer",
            "num_layers",
            "hidden_size",
            "dropout",
            "lr",
            "batch_size",
            "clip_norm",
            "steps",
        ]
        await pilot.press("up")
        await pilot.pause()
        assert app.focused.id == "clip_norm"
        app.query_one("#cell", Choice).focus()
        await pilot.press("right")  # ←/→ change a choice in place
        await wait_for(pilot, lambda: app.training.spec.model.cell == "gru")


async def test_loading_a_preset_resets_predict_to_its_example(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        await pilot.pause()
        view = app.query_one(PredictView)
        app.query_one("#prefix", Input).value = "HELLO WORLD"
        app.query_one("#prefix", Input).cursor_position = 2
        app.query_one("#hunt", Input).value = "L+"
        view.run_hunt()
        await wait_for(pilot, lambda: view.hunt_outcome is not None)
        assert app.query_one("#unit", Input).value != ""
        app.action_load_preset("doubling")
        await ready(pilot, "doubling")
        await pilot.pause()
        assert app.query_one("#prefix", Input).value == "2 4 8"
        assert app.query_one("#prefix", Input).cursor_position == len("2 4 8")  # HELLO left it at 5
        assert app.query_one("#hunt", Input).value == "" and app.query_one("#unit", Input).value == ""
        assert view.hunt_outcome is None and not str(app.query_one("#hunt-result", Static).content)
        assert view.prediction.tokens[-1] == "8"


async def test_a_preset_loaded_while_training_resets_predict_to_its_own_example(tmp_path) -> None:
    """The old process's last replies (it pauses and goes idle while it closes) are not the new
    lesson's: they once moved the state out of 'building' with the old spec, so Predict started the
    new lesson over with the old example (the tmux walk saw HELL under doubling)."""
    from rnntui.core import trainer_protocol as p

    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("2", "space")
        await wait_for(pilot, lambda: app.training.step > 0)
        app.action_load_preset("doubling")
        closing = app.link.current
        # Every state the app takes while the old process is still the current one (its own Closed
        # makes way for the new one, whose Ready may come at once on a fast machine) stays 'building'.
        while_closing: list[Phase] = []
        app.watch(app, "training", lambda s: app.link.current == closing and while_closing.append(s.phase), init=False)
        for reply in (p.Paused(app.training.step), p.Idle(app.training.step)):
            app.post_message(TrainerReplied(closing, reply))  # as the closing process sends them
        await pilot.pause()
        await ready(pilot, "doubling")
        assert set(while_closing) <= {Phase.BUILDING}
        await pilot.pause()
        assert app.query_one("#prefix", Input).value == "2 4 8"


async def test_predict_focus_typing_and_fields(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        prefix = app.query_one("#prefix", Input)
        await wait_for(pilot, lambda: app.focused is prefix)
        assert prefix.selection.is_empty and prefix.cursor_position == len("HELL")  # 3 did not select it all
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.focused, PredictView)
        await pilot.press("O")  # typing with no field focused goes to the prefix
        await pilot.pause()
        assert prefix.value == "HELLO" and app.focused is prefix
        await pilot.press("escape", "s")  # a bound key still does its job
        await wait_for(pilot, lambda: app.training.step == 1)
        assert prefix.value == "HELLO"
        prefix.focus()
        ids = []
        for _ in range(4):
            await pilot.press("down")
            await pilot.pause()
            ids.append(app.focused.id)
        assert ids == ["layer", "quantity", "hunt", "unit"]


async def test_an_untrained_language_model_never_offers_special_tokens(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        await pilot.pause()
        pred = app.query_one(PredictView).prediction
        assert len(pred.output.top) == 5 and not {"<pad>", "<unk>"} & {r.label for r in pred.output.top}
        assert "<pad>" not in str(app.query_one("#prediction", Static).content)


async def test_after_a_divergence_the_step_count_is_the_restored_one(tmp_path) -> None:
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        points = [ev.StepPoint(step=i, loss=1.0, grad_norm=1.0, clipped=False, layer_norms={}, lr=0.01) for i in (1, 2)]
        bad = ev.StepPoint(step=3, loss=float("nan"), grad_norm=float("inf"), clipped=False, layer_norms={}, lr=0.01)
        progress = ev.Progress(points=[*points, bad], tokens_per_s=1.0, steps_per_s=1.0, elapsed_s=1.0)
        inject(app, progress)
        diverged = ev.Diverged(step=3, loss=bad.loss, grad_norm=1e9, restored_step=2, advice="x")
        inject(app, diverged)
        await wait_for(pilot, lambda: app.training.step == 2 and app.training.notice is not None)
        assert app.query_one("#loss-chart").steps == [1, 2]


async def test_keys_pressed_while_the_network_loads_switch_views_and_predict_says_it_loads(tmp_path) -> None:
    """`3` while torch loaded opened an empty Predict with its prefix focused: the next `4` was typed
    into the prefix (and then overwritten by the example)."""
    app = RnnApp(runs_dir=str(tmp_path))
    load = app.read_menu
    app.start_first = lambda: None  # the network "is loading" until the test lets it: not
    app.read_menu = lambda: None  # started from the preset file, nor after torch and the presets
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.views_ready)
        await pilot.press("3")
        await pilot.pause()
        prefix = app.query_one("#prefix", Input)
        assert app.current_view == "predict" and app.focused is not prefix
        assert "loading" in str(app.query_one("#predict-hint", Static).content)
        await pilot.press("4")
        await pilot.pause()
        assert app.current_view == "runs" and prefix.value == ""
        await pilot.press("3")
        load()
        await wait_for(pilot, lambda: app.query_one(PredictView).ready)
        await wait_for(pilot, lambda: app.focused is prefix)  # ready: typing goes to the prefix
        assert prefix.value == "HELL"


async def test_a_field_left_with_esc_is_not_focused_again_when_a_new_network_arrives(tmp_path) -> None:
    """Predict left with esc, then a preset loaded from the palette: the new network's arrival
    must not put the focus back in the prefix (the 2 pressed next was typed into it)."""
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        await pilot.press("3")
        prefix = app.query_one("#prefix", Input)
        await wait_for(pilot, lambda: app.focused is prefix)
        await pilot.press("escape")
        await pilot.pause()
        app.action_load_preset("doubling")
        await ready(pilot, "doubling")
        await pilot.pause()
        assert app.focused is not prefix
        await pilot.press("2")
        await wait_for(pilot, lambda: app.current_view == "train")
        assert prefix.value == "2 4 8"
