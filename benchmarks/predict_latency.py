"""Cost of one keystroke in the predictor: incremental vs re-running the whole prefix (issue 15, 4a).

    python benchmarks/predict_latency.py [--presets hello,char-lm,doubling,sine,long-memory]

Models are the presets' architectures at their seeded initial weights (latency does not depend
on training), on one intra-op thread as the predictor's process runs. For each prefix length n, "keystroke" is
what the predictor's process does before its answer leaves for the app: feeding a prefix of n
tokens after one of n-1 (one new step), the edit of its table's rows (the plain numbers the view
draws: core/trace_table.py RowEdit) and pickling the answer. "app reads" is the app's share, off its
event loop: unpickling the answer and making the whole table from the edit (core/predictor_client.py
AnswerReader). Before it, the predictor did what the predictor's process does after every key's
first answer (core/predictor_service.py): the previous key's prediction, its continuation
(GENERATE tokens, greedy and sampled) and what it looks at (saliency, a backward pass over the
prefix), so the caches hold what they hold in the app. "cold" is the same keystroke right after a
fresh predictor re-read the whole prefix (which no key does in the app, but which evicts everything
a keystroke reads: an upper bound). "full" is that fresh predictor's own time. "bare" is the
hand-written floor from the same run: one fused step of the same network + head + softmax + top-k.
Target: keystroke median ≤ 1 ms at every length up to the window (512), not growing with it.

The continuation, saliency and the map themselves follow the first answer and are not in this
figure; benchmarks/saliency.py times saliency.
Exception: a bidirectional stack re-reads the whole prefix at every keystroke (its backward half
starts at the end), so its keystroke is the full re-run; `--presets sentiment-bi` prints it.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import spec_for  # noqa: E402

from rnntui.core.experiment import build  # noqa: E402
from rnntui.core.predictor import Predictor  # noqa: E402
from rnntui.core.predictor_client import AnswerReader  # noqa: E402
from rnntui.core.predictor_service import GENERATE, TEMPERATURE, first_answer  # noqa: E402
from rnntui.core.spec import set_value  # noqa: E402
from rnntui.core.tasks.kinds import InputKind  # noqa: E402

SAMPLE = {
    "hello": "HELLO WORLD LSTM MEMORY STATE ",
    "char-lm": "the cat saw the red ball near the sea. ",
    "doubling": " ".join(str(2 + 3 * i) for i in range(40)) + " ",
    "sine": " ".join(f"{v:.2f}" for v in torch.sin(torch.arange(60) * 0.3).tolist()) + " ",
    "long-memory": "0.5 0.2* 0.7 0.1 0.9 0.3* 0.4 0.6 ",
}


def prefixes(name: str, task, n: int) -> list[str]:
    text = SAMPLE.get(name, "the dog sees a cat ")
    while len(task.tokenize(text)) < n + 1:
        text += text
    toks = task.tokenize(text)
    return [text[: toks[k - 1].end] for k in range(1, n + 1)]


TARGET_MS = 1.0


def spec_named(name: str):
    """A preset, or "<preset>-bi": the same preset with a bidirectional stack."""
    if name.endswith("-bi"):
        return set_value(spec_for(name[:-3]), "model", "bidirectional", True)
    return spec_for(name)


def bare_ms(model) -> float:
    """One fused step + head + softmax + top-k: what a hand-written predictor spends a keystroke."""
    x = torch.zeros(1, 1, dtype=torch.long)
    times, state = [], None
    with torch.no_grad():
        for _ in range(40):
            t0 = time.perf_counter()
            inp = model.embed(x) if model.task_kind_tokens else model.embed(torch.zeros(1, 1, model.input_dim))
            seq, state = model.rnn(inp, state)
            torch.softmax(model.head(seq[0, -1]).reshape(-1), -1).topk(1)
            times.append(time.perf_counter() - t0)
    return statistics.median(times[5:]) * 1e3


def answer(p: Predictor, text: str) -> bytes:
    """What the predictor's process sends for `text` (its first answer), pickled."""
    return pickle.dumps(first_answer(p.feed(text)), protocol=pickle.HIGHEST_PROTOCOL)


def keystroke(p: Predictor, text: str, reader: AnswerReader | None = None) -> tuple[float, float]:
    """(the predictor's process's time, the app's reader's time) for one key."""
    t0 = time.perf_counter()
    data = answer(p, text)
    t1 = time.perf_counter()
    (reader or AnswerReader()).read(pickle.loads(data))
    return t1 - t0, time.perf_counter() - t1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default="hello,char-lm,doubling,sine,long-memory")
    ap.add_argument("--lengths", default="1,10,50,100,200,400,512")
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    torch.set_num_threads(1)  # as the predictor's process (core/predictor_child.py)
    lengths = [int(x) for x in args.lengths.split(",")]
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; times in ms (median of repeats)")
    print(f"keystroke target: median ≤ {TARGET_MS:.0f} ms at every length up to the window")
    print(
        f"{'preset':<15}{'tokens':>7}{'keystroke':>11}{'app reads':>11}{'cold':>9}{'full re-run':>13}"
        f"{'bare step':>11}  verdict"
    )
    for name in args.presets.split(","):
        task, model = build(spec_named(name))
        model.eval()
        model.task_kind_tokens = task.input_kind is InputKind.TOKENS
        model.input_dim = task.input_dim
        bare = bare_ms(model)
        texts = prefixes(name.removesuffix("-bi"), task, max(lengths))
        p, reader = Predictor(model, task), AnswerReader()
        for n in lengths:
            inc, reads, cold, full = [], [], [], []
            for _ in range(args.repeats):  # interleaved: the machine's load hits all alike
                full.append(keystroke(Predictor(model, task), texts[n - 1])[0])
                if n > 1:
                    reader.read(pickle.loads(answer(p, texts[n - 2])))
                else:
                    p.reset()
                cold.append(keystroke(p, texts[n - 1], reader)[0])
                previous_key(p, reader, texts[n - 2] if n > 1 else "")
                own, app = keystroke(p, texts[n - 1], reader)
                inc.append(own)
                reads.append(app)
            i, a, c, f = (statistics.median(x) * 1e3 for x in (inc, reads, cold, full))
            verdict = (
                "ok"
                if i <= TARGET_MS
                else "OVER" + (" (bidirectional: re-reads the prefix)" if not p.incremental else "")
            )
            print(f"{name:<15}{n:>7}{i:>11.3f}{a:>11.3f}{c:>9.3f}{f:>13.3f}{bare:>11.3f}  {verdict}")


def previous_key(p: Predictor, reader: AnswerReader, text: str) -> None:
    """What the predictor's process did for the key before: its first answer, then the continuation
    and saliency (the map is off until `m`)."""
    if not text:
        p.reset()
        return
    reader.read(pickle.loads(answer(p, text)))
    p.feed(text, GENERATE, TEMPERATURE, seed=0)
    p.saliency(text)


if __name__ == "__main__":
    main()
