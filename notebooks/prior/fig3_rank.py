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
# # Rank plot of P(f) for the 7-40-40-1 ReLU net (arXiv 1805.08522, T4)
#
# P(f) against its rank, log-log, spans many decades: a few simple functions carry most of
# the mass. The dashed line is the scale-free law P(r) = 1/(r ln 2^128).

# %% tags=["parameters"]
tables: list = []  # merged prior sample tables (parquet), one per setting
checks = ""  # the numbers this figure is judged by (csv)
png = "fig3_rank.png"  # output figure
pdf = "fig3_rank.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting
from nnbayes.prior import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.rank(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T1-T5)

# %%
pd.read_csv(checks, keep_default_na=False)
