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
# # The NNGP kernel against wide random nets (T14)
#
# Every entry of the analytic kernel against the Monte-Carlo covariance of the read-out of
# wide random nets; standardised errors should look like N(0, 1) up to an O(1/width) bias.

# %% tags=["parameters"]
tables: list = []  # the comparison tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "fig11_kernel.png"  # output figure
pdf = "fig11_kernel.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting

from nnbayes.sgd_bayes import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.kernel(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication target T14)

# %%
pd.read_csv(checks, keep_default_na=False)
