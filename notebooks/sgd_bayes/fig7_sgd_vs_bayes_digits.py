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
# # P_SGD(f|S) vs P_B(f|S) on binarised digits (arXiv 2006.15191, T9)
#
# The same comparison on a real image set: scikit-learn 8x8 digits (label < 5), a
# 64-64-64-1 ReLU net, m training images and a small test set E.

# %% tags=["parameters"]
tables: list = []  # merged training tables (one per variant), then the posterior scores and errors
checks = ""  # the numbers this figure is judged by (csv)
png = "fig7_sgd_vs_bayes_digits.png"  # output figure
pdf = "fig7_sgd_vs_bayes_digits.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting

from nnbayes.sgd_bayes import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.sgd_vs_bayes(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (replication targets T8, T9, T13)

# %%
pd.read_csv(checks, keep_default_na=False)
