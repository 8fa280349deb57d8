"""Imported by the trainer's fork server (trainer_client.py) for what it costs, once for all children.

The first optimizer a process builds imports PyTorch's compiler stack (1.5–3 s here); building a
throwaway one at import makes the server pay that, so a child's first optimizer costs nothing. (The
server used to preload that package by its private name; this reaches it through the public API.)
"""

from __future__ import annotations

import torch

torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
