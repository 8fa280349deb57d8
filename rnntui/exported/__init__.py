"""The programs `rnntui export` writes, as real modules: imported, linted and tested like any other code.

`rnntui export` writes one of the runners into the user's folder with two changes only: its one line
marked `# rnntui:shared` (the import of `shared`, the part every runner uses and the part `rnntui
predict` prints through) becomes the text of shared.py, and its data line (`DATA = json.loads(...)`,
a `repr()` literal of a JSON string) gets the run's sizes, vocabulary and weight file names. No text
from a run, a preset or a checkpoint is ever written anywhere else in the program. Each program
depends only on its framework, numpy where it needs it, and the standard library, and prints exactly
what `predict` prints.

This package is not part of `rnntui.core`: importing a runner imports its framework (Keras brings
rich along), which the core must not.
"""
