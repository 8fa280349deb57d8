"""How a typed prefix is read and a prediction is written: in `rnntui predict` and in every runner.

A runner in this package imports this module through one marked line (`# rnntui:shared`); `rnntui
export` writes the runner with this module's text in place of that line (rnntui/core/export_program.py),
so the program is one file that imports nothing of rnntui. `rnntui predict` prints through
`result_lines`, so an exported program prints exactly what `predict` prints.

In a program this text comes after the runner's own imports, so it has no `from __future__` line (one
is allowed only at a file's top, where the runner has its own); its annotations are valid either way.
"""

import argparse
import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, Protocol

WORD, NUMBER = re.compile(r"[\w'áéíóúñü]+|[^\w\s]"), re.compile(r"-?\d+")
FLOAT = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# Text from a run reaches the terminal only as visible characters (as rnntui.core.textsafe.one_line):
# C0 controls become control pictures, newline ␤, DEL ␡; C1 controls and bidi overrides become �.
SHOWN = {c: chr(0x2400 + c) for c in range(0x20)} | {0x0A: "\u2424", 0x7F: "\u2421", 0x2028: "\u2424", 0x2029: "\u2424"}
SHOWN |= {
    c: "\ufffd" for c in (*range(0x80, 0xA0), *range(0x202A, 0x202F), *range(0x2066, 0x206A), *range(0xD800, 0xE000))
}
Inputs = list[int] | list[list[float]]  # token ids, or one feature vector per step


class UserError(Exception):
    """Something the user can fix (a prefix, a weights folder): one line on stderr, exit status 2."""


class Network(Protocol):
    def outputs(self, inputs: Inputs) -> list[list[float]]: ...  # the head's output per reported step
    # Greedy ids, up to and including </s>, and with attention where each step looked: one row per id,
    # one weight per input step (no rows without attention).
    def generate(self, inputs: Inputs) -> tuple[list[int], list[list[float]]]: ...


def read_prefix(text: str, spec: dict[str, Any]) -> tuple[list[str], Inputs, list[str]]:
    """(tokens as text, the network's inputs, the tokens it cannot read), as the run's task reads them."""
    kind, case = spec["kind"], spec.get("case")
    if kind == "digits3":  # the whole prefix is one number, 0-999, read as three one-hot digits
        s = text.strip()
        ok = s.isascii() and s.isdigit() and int(s) < 1000
        feats = [1.0 if ok and f"{int(s):03d}"[j // 10] == str(j % 10) else 0.0 for j in range(30)]
        return ([s], [feats], [] if ok else [s]) if s else ([], [], [])
    if kind == "floats":  # a series (normalised as in training), or (value, marked) pairs
        marker, (mean, std) = spec["marker"], spec["norm"]
        tokens, values, unknown = re.findall(r"[^\s,;]+", text), [], []
        for word in tokens:
            w, flag = (word[: -len(marker)], 1.0) if marker and word.endswith(marker) else (word, 0.0)
            ok = bool(FLOAT.fullmatch(w)) and math.isfinite(float(w))
            v = float(w) if ok else 0.0  # as the task reads it; a prefix with an unreadable value is refused
            values.append(([v, flag] if ok else [0.0, 0.0]) if marker else [(v - mean) / std])
            unknown += [] if ok else [word]
        return tokens, values, unknown
    if kind == "chars":  # the task's case rule, then one token per character of the typed text
        tokens = list((text.upper() if case == "upper" else text.lower() if case == "lower" else text)[: len(text)])
        keys: list[str | None] = list(tokens)
    elif kind == "letters":  # one token per letter, whitespace skipped, read in either case
        tokens = [ch for ch in text if not ch.isspace()]
        keys = [ch.lower() for ch in tokens]
    elif kind == "words":
        tokens = WORD.findall(text)
        keys = [t.lower() for t in tokens]
    else:  # numbers: one token each
        tokens = [w.strip(",;") for w in re.findall(r"\S+", text)]
        keys = [t if NUMBER.fullmatch(t) else None for t in tokens]
    index = {t: i for i, t in enumerate(spec["vocab"])}
    ids = [index.get(k, spec["unk"]) if k is not None else spec["unk"] for k in keys]
    return tokens, ids, [t for t, k in zip(tokens, keys, strict=True) if k not in index]


def softmax(row: Sequence[float]) -> list[float]:
    top = max(row)
    total = sum(math.exp(v - top) for v in row)
    return [math.exp(v - top) / total for v in row]  # exp(-inf) is 0: a masked token gets p = 0


def predict(load: Callable[[], Network], prefix: str, data: dict[str, Any], top: int) -> dict[str, Any]:
    """What `rnntui predict --json` prints for this prefix (unknown tokens and empty prefixes refused)."""
    tokens, inputs, unknown = read_prefix(prefix, data["input"])
    if not tokens:
        raise UserError("give a non-empty prefix")
    if unknown:
        what = {"floats": "not a number", "digits3": "not a whole number from 0 to 999"}.get(data["input"]["kind"])
        raise UserError(f"{what or 'not in the vocabulary'}: {', '.join(repr(u) for u in sorted(set(unknown))[:5])}")
    out, window = data["output"], data["window"]
    start = max(0, len(tokens) - window)  # like the predictor, feed only the last `window` tokens
    result: dict[str, Any] = {"prefix": prefix, "tokens": tokens, "kind": out["kind"]}
    if start:
        result |= {"notice": f"only the last {window} tokens are fed (the window)", "window_start": start}
    net, vocab = load(), out.get("vocab")
    if out["kind"] in ("generate", "seq2seq"):
        ids, looked = net.generate(inputs[start:])
        result["output"] = out.get("separator", " ").join(
            vocab[i] for i in (ids[: ids.index(out["eos"])] if out["eos"] in ids else ids)
        )
        return result | ({"attention": looked} if looked else {})
    rows = net.outputs(inputs[start:])
    if out["kind"] == "regress":
        mean, std = out["norm"]
        result |= {"forecast": rows[-1][0] * std + mean, "forecasts": [row[0] * std + mean for row in rows]}
    elif out["kind"] == "tag":
        probs = zip(tokens[start:], map(softmax, rows), strict=True)
        result["tags"] = [{"token": t, "tag": vocab[p.index(max(p))], "p": max(p)} for t, p in probs]
    else:  # lm: the next token after the prefix (never a special token); classify: the whole prefix's class
        banned = set(out.get("specials", [])) if out["kind"] == "lm" else set()
        p = softmax([-math.inf if i in banned else v for i, v in enumerate(rows[-1])])
        ranked = sorted((i for i in range(len(p)) if i not in banned), key=lambda i: -p[i])
        result["next"] = [{"token": vocab[i], "p": p[i]} for i in ranked[:top]]
        if out["kind"] == "classify":
            result["per_step"] = [{"class": vocab[q.index(max(q))], "p": max(q)} for q in map(softmax, rows)]
    return result


def result_lines(result: dict[str, Any]) -> list[str]:
    """The human-readable prediction, one visible line per row (what `rnntui predict` prints)."""
    kind, lines = result["kind"], [f"note: {result['notice'].translate(SHOWN)}"] if result.get("notice") else []
    if kind in ("lm", "classify"):
        for row in result["next"]:
            tok, p = row["token"], row["p"]
            shown, full = repr(tok) if tok.strip() != tok or not tok else tok, int(round(max(0.0, min(1.0, p)) * 20))
            lines.append(f"{shown.translate(SHOWN):>12}  {p:6.3f}  {'█' * full + '·' * (20 - full)}")
        if "continuation" in result:
            lines.append(f"greedy:  {(result['prefix'] + result['continuation']).translate(SHOWN)}")
            lines.append(f"sampled: {(result['prefix'] + result['sampled']).translate(SHOWN)}")
    elif kind == "tag":
        for t in result["tags"]:
            lines.append(f"{t['token'].translate(SHOWN):>14}  {t['tag'].translate(SHOWN):<8} {t['p']:.3f}")
    elif kind == "regress":
        lines += [] if result["forecast"] is None else [f"forecast: {result['forecast']:.4f}"]
    else:
        lines.append(result["output"].translate(SHOWN))
    return lines


def weights_file(folder: str, data: dict[str, Any], role: str = "network") -> bytes:
    """A weight file, if it is the one exported with this program (by the sha256 in DATA): another run's,
    even of the same shapes and vocabulary, would predict with another network."""
    path = os.path.join(folder, data["weights"][role])
    if not os.path.isfile(path) or not os.access(path, os.R_OK):  # a folder, device or FIFO is never read
        raise UserError(f"cannot load the weights {path}: not a readable file")
    with open(path, "rb") as fh:
        if hashlib.sha256(blob := fh.read()).hexdigest() != data["sha256"][role]:
            raise UserError(f"cannot load the weights {path}: not the ones exported with run {data['about']['run']}")
    return blob


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit status 2, like rnntui's own commands
        self.exit(2, f"{self.prog}: error: {message.translate(SHOWN)}\n")


def run(argv: Sequence[str] | None, data: dict[str, Any], load: Callable[[str], Network], here: str) -> int:
    about = f"run {data['about']['run']} ({data['about']['preset']})".translate(SHOWN).replace("%", "%%")
    # argparse %-formats a description holding "%(prog)": ours always holds one, and doubles every other %.
    ap = Parser(description=f"%(prog)s prints what `rnntui predict` prints for {about}")
    ap.add_argument("prefix", help="the text, numbers or values to read, as `rnntui predict` takes them")
    ap.add_argument("--top", type=int, default=5, help="how many next tokens or classes to list")
    ap.add_argument("--json", action="store_true", help="print what `rnntui predict --json` prints")
    ap.add_argument("--weights-dir", default=here, help="the folder of the weight files (default: this script's)")
    args = ap.parse_args(argv)
    if args.top < 1:
        ap.error("--top must be 1 or more")
    try:
        result = predict(lambda: load(args.weights_dir), args.prefix, data, args.top)
    except UserError as exc:
        sys.stderr.write(f"{ap.prog}: error: {str(exc).translate(SHOWN)}\n")
        return 2
    getattr(sys.stdout, "reconfigure", lambda **_: None)(errors="replace")  # a lone surrogate: no crash
    if args.json:  # NaN and Inf become null, as `rnntui predict --json` writes them
        print(json.dumps(json.loads(json.dumps(result), parse_constant=lambda _: None), ensure_ascii=False))
    else:
        print("\n".join(result_lines(result)))
    return 0
