"""rnntui: a terminal playground for recurrent neural networks."""

__version__ = "0.1.0"
