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
# # P(t) as ReLU layers are added and sigma_b grows (arXiv 1909.11522, T3)
#
# The bias toward low entropy (t near 0 or 2^n) grows monotonically with the number of ReLU
# layers and with the bias variance.

# %% tags=["parameters"]
tables: list = []  # merged prior sample tables (parquet), one per setting
checks = ""  # the numbers this figure is judged by (csv)
png = "fig2_depth_t.png"  # output figure
pdf = "fig2_depth_t.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting
from nnbayes.prior import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.depth_t(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T1-T5)

# %%
pd.read_csv(checks, keep_default_na=False)
