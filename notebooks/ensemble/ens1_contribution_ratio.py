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
# # ens1_contribution_ratio: The contribution ratio of perfect to random features (T11)

# %% tags=["parameters"]
inputs = "{}"  # JSON {input name: [tables]} from the figure registry, passed by the rule
checks = ""  # the numbers this figure is judged by (csv)
png = "ens1_contribution_ratio.png"  # output figure
pdf = "ens1_contribution_ratio.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import json

import pandas as pd
from IPython.display import Markdown

from nnbayes.workflow.registry import draw, figure
from nnbayes.workflow.report import conclusion

FIGURE = "ens1_contribution_ratio"  # declared in nnbayes.ensemble.figures: caption, inputs, checks, plot
Markdown(figure(FIGURE).caption)

# %%
fig = draw(FIGURE, json.loads(inputs), stamp, png, pdf)

# %% [markdown]
# ## Checks: the numbers this figure is judged by (criteria: workflow/criteria)

# %%
table = pd.read_csv(checks, keep_default_na=False)
Markdown(conclusion(table))

# %%
table
