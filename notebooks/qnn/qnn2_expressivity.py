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
# # Which Boolean functions a QNN can express, per embedding and n
#
# Exact counts by linear programming (every function decided: classes of identical inputs,
# cube symmetries, random witnesses, Gordan certificates, HiGHS), as the fraction of all
# 2^(2^n) functions on the embedding's domain; open markers: parity is not expressible.
# The QNN-kernel GP and the layered QNN (its DNF construction, checked on every function)
# are the two ways beyond plain QNNs.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "qnn2_expressivity.png"  # output figure
pdf = "qnn2_expressivity.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting

from nnbayes.qnn import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.expressivity(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (T1 and T6)
#
# Evidence tags as in the research note (§1): [P] the paper's abstract, [R] reconstructed here,
# [M] the note's scratch measurements. The paper's full text was not readable, so no row compares
# with a number of the paper's own.

# %%
pd.read_csv(checks, keep_default_na=False)
