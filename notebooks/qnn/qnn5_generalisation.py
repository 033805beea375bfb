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
# # Generalisation error against target complexity: QNNs, the QNN-kernel GP, the layered QNN, the FCN
#
# Mean test error on E (the cube minus S) against the target's C_LZ: perceptrons on h_R(x)
# trained through the map (GD from the Gaussian prior, and their min-norm fit), the NNGP built
# on the QNN kernel, the layered QNN, and the FCN trained by SGD with its NNGP.

# %% tags=["parameters"]
tables: list = []  # the tables this figure plots (parquet)
checks = ""  # the numbers this figure is judged by (csv)
png = "qnn5_generalisation.png"  # output figure
pdf = "qnn5_generalisation.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import pandas as pd

from nnbayes.core import plotting

from nnbayes.qnn import plots
from nnbayes.core.tables import load_sets

sets = load_sets(tables)
fig = plots.generalisation(sets)
plotting.save_figure(fig, stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (T5)
#
# Evidence tags as in the research note (§1): [P] the paper's abstract, [R] reconstructed here,
# [M] the note's scratch measurements. The paper's full text was not readable, so no row compares
# with a number of the paper's own.

# %%
pd.read_csv(checks, keep_default_na=False)
