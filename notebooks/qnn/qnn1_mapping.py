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
# # QNN output = perceptron output on h(x) = psi* (x) psi, for every embedding
#
# Left: the simulated QNN output <psi|U^dag Z U|psi> against the mapped perceptron w_R . h_R(x)
# for random Haar and hardware-efficient-ansatz circuits (all points on the diagonal, to
# round-off). Right: E[f(x) f(x')] over random QNNs against the closed forms: Haar,
# (D F - 1)/(D^2 - 1) (Weingarten), and Gaussian perceptron weights, F itself (F the fidelity).

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "qnn1_mapping.png"  # output figure
pdf = "qnn1_mapping.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting

from nnbayes.qnn import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.mapping(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (T2 and the map)
#
# Evidence tags as in the research note (§1): [P] the paper's abstract, [R] reconstructed here,
# [M] the note's scratch measurements. The paper's full text was not readable, so no row compares
# with a number of the paper's own.

# %%
pd.read_csv(checks, keep_default_na=False)
