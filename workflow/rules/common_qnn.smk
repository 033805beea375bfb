# Helpers of the QNN stage (qnn.smk): its prior sample sets and the tables each figure reads.

from nnbayes.qnn_plan import prior_sets

QNN = config["qnn"]
QNN_SETS = prior_sets(QNN)
QNN_LEARNERS = ("tpp", "kernel", "layered", "fcn")


def qnn_src(*modules):
    """The QNN stage's library files: its CLI module plus `modules`."""
    return src("cli_qnn.py", *modules)


def qnn_prior_tables():
    return [f"<results>/samples/qnn/prior/{s}.parquet" for s in QNN_SETS]


def qnn_learning_tables():
    return [f"<results>/data/qnn/learning/{k}.parquet" for k in QNN_LEARNERS] + [
        "<results>/data/qnn/targets.parquet"
    ]
