"""nnbayes: the function-space view of neural-network inductive bias, as a library.

Stages (one module each): Boolean data and targets (`boolean`), function ids and
measures (`functions`, `complexity`), batched random networks (`networks`), prior
sampling and counting (`prior`), figure checks (`checks`), plotting and notebooks.
"""

__version__ = "0.1.0"
