"""The app on a GPU box, as a person uses it: `pytest -m cuda` there (skipped without CUDA).

The lesson's default device is `auto`, so on a CUDA machine the app trains on the GPU with no setting
changed; the top bar says so, training runs, and Predict answers from its CPU copy of the weights.
"""

from __future__ import annotations

import pytest
import torch
from app_helpers import ready, wait_for

from rnntui.app.app import RnnApp
from rnntui.app.state import Phase

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU: torch.cuda.is_available() is False"),
]


async def test_the_app_trains_on_the_gpu_and_predicts_from_its_copy(tmp_path):
    app = RnnApp(runs_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot, "hello")
        assert app.training.device.startswith("cuda"), app.training.device
        await pilot.press("2", "space")
        await wait_for(pilot, lambda: app.training.step >= 100, timeout=120)
        await pilot.press("space")
        await wait_for(pilot, lambda: app.training.phase is Phase.PAUSED)
        predict = app.query_one("#predict")
        await pilot.press("3")
        await pilot.pause()
        await pilot.press(*["backspace"] * 4, *"HEL")
        await wait_for(pilot, lambda: predict.prediction is not None and len(predict.prediction.tokens) == 3)
        assert predict.prediction.output is not None  # an answer from the trained weights
        # (from the predictor's own process, which builds its copy on the CPU as
        # test_cuda.py::test_the_predictor_reads_its_own_cpu_copy does; the app's process has no torch)
        assert predict.prediction.fed == 3
