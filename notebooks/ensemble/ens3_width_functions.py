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
# # ens3_width_functions: Learned functions by width and seed beside the kernel limit (T12)

# %% tags=["parameters"]
inputs = "{}"  # JSON {input name: [tables]} from the figure registry, passed by the rule
checks = ""  # the numbers this figure is judged by (csv)
png = "ens3_width_functions.png"  # output figure
pdf = "ens3_width_functions.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import json

import pandas as pd
from IPython.display import Markdown

from nnbayes.workflow.registry import draw, figure
from nnbayes.workflow.report import conclusion

FIGURE = "ens3_width_functions"  # declared in nnbayes.ensemble.figures: caption, inputs, checks, plot
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
