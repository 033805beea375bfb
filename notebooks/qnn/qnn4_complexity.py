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
# # P(f) against Lempel-Ziv complexity for QNN priors and the FCN
#
# Each sampled function once, at its probability (count / samples) and C_LZ; the FCN prior of
# the network stage for comparison. A simplicity-biased prior puts its most probable
# functions at low C_LZ.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "qnn4_complexity.png"  # output figure
pdf = "qnn4_complexity.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting

from nnbayes.qnn import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.complexity(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (T4)
#
# Evidence tags as in the research note (§1): [P] the paper's abstract, [R] reconstructed here,
# [M] the note's scratch measurements. The paper's full text was not readable, so no row compares
# with a number of the paper's own.

# %%
pd.read_csv(checks, keep_default_na=False)
