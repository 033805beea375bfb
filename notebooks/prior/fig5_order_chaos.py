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
# # fig5_order_chaos: The prior across the ordered-to-chaotic transition (arXiv 2304.06670 Fig. 1, T5)

# %% tags=["parameters"]
inputs = "{}"  # JSON {input name: [tables]} from the figure registry, passed by the rule
checks = ""  # the numbers this figure is judged by (csv)
png = "fig5_order_chaos.png"  # output figure
pdf = "fig5_order_chaos.pdf"  # output figure
stamp = "dev"  # config hash, passed by the rule; the code version is added when saving

# %%
import json

import pandas as pd
from IPython.display import Markdown

from nnbayes.workflow.registry import draw, figure
from nnbayes.workflow.report import conclusion

FIGURE = "fig5_order_chaos"  # declared in nnbayes.prior.figures: caption, inputs, checks, plot
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
