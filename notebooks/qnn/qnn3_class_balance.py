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
# # The class-balance prior P(t) of QNNs per embedding and sampling scheme, against the FCN
#
# t = number of the 128 inputs (n = 7 bits) mapped to 1. Dashed: the bias-free perceptron's P(t) = 2^-n
# on t < 2^n; grey: the FCN prior of the network stage. The paper [P] says several popular
# embeddings favour low class balance (t near 0 or 2^n); the note [M] could not reproduce
# that for ZZ and amplitude encodings at n = 5.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "qnn3_class_balance.png"  # output figure
pdf = "qnn3_class_balance.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting

from nnbayes.qnn import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.class_balance(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (T3)
#
# Evidence tags as in the research note (§1): [P] the paper's abstract, [R] reconstructed here,
# [M] the note's scratch measurements. The paper's full text was not readable, so no row compares
# with a number of the paper's own.

# %%
pd.read_csv(checks, keep_default_na=False)
