"""The programs `rnntui export` writes, as real modules: imported, linted and tested like any other code.

`rnntui export` copies one of the runners verbatim into the user's folder and fills in only its data
line (`DATA = json.loads(...)`, a `repr()` literal of a JSON string): the run's sizes, vocabulary and
weight file names. No text from a run, a preset or a checkpoint is ever written anywhere else in
the program. Each runner depends only on its framework, numpy where it needs it, and the standard
library; `shared` is the part they all carry (tests keep the copies identical) and the part
`rnntui predict` prints through, so an exported program prints exactly what `predict` prints.

This package is not part of `rnntui.core`: importing a runner imports its framework (Keras brings
rich along), which the core must not.
"""
