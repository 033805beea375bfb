# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Simplicity bias: P(f) against C_LZ (arXiv 1805.08522, T5)
#
# High-probability functions are simple: the upper envelope of log P(f) falls with the
# Lempel-Ziv complexity, and the prior's complexity distribution sits far below that of
# uniformly random functions.

# %% tags=["parameters"]
tables: list = []  # merged prior sample tables (parquet), one per setting
checks = ""  # the numbers this figure is judged by (csv)
png = "fig4_simplicity.png"  # output figure
pdf = "fig4_simplicity.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting
from nnbayes.prior import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.simplicity(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T1-T5)

# %%
pd.read_csv(checks, keep_default_na=False)
