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
# # P(t) of the perceptron on {0,1}^7 (arXiv 1909.11522, T1/T2)
#
# Theorem: a perceptron without bias, weights from any distribution symmetric under sign flips,
# has P(t) = 2^-n for 0 <= t < 2^n: every number of ones is equally likely, so low-entropy
# functions (few of them per t) are individually far more likely. Left: the theorem, with a
# bias (sigma_b = 1) as a negative control. Right: centred inputs {-1,1}^n force t = 2^(n-1)
# without bias; the bias term brings the low-entropy mass back.

# %% tags=["parameters"]
tables: list = []  # merged prior sample tables (parquet), one per setting
checks = ""  # the numbers this figure is judged by (csv)
png = "fig1_perceptron_t.png"  # output figure
pdf = "fig1_perceptron_t.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting
from nnbayes.prior import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.perceptron_t(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T1-T5)

# %%
pd.read_csv(checks, keep_default_na=False)
