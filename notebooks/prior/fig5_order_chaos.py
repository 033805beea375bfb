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
# # The prior across the ordered-to-chaotic transition (arXiv 2304.06670 Fig. 1, T5)
#
# 10-layer tanh nets: at sigma_w = 1 (ordered) the prior favours simple functions; as sigma_w
# grows into the chaotic regime P(K) approaches that of uniformly random strings.

# %% tags=["parameters"]
tables: list = []  # merged prior sample tables (parquet), one per setting
checks = ""  # the numbers this figure is judged by (csv)
png = "fig5_order_chaos.png"  # output figure
pdf = "fig5_order_chaos.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting
from nnbayes.prior import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.order_chaos(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T1-T5)

# %%
pd.read_csv(checks, keep_default_na=False)
