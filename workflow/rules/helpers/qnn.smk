# Helpers of qnn.smk: the tables its figures read, its shard lists and job parameters.

from nnbayes.qnn.plan import prior_sets

QNN = config["qnn"]
QNN_SETS = prior_sets(QNN)
QNN_LEARNERS = ("tpp", "kernel", "layered", "fcn")


def qnn_prior_tables():
    return [f"<results>/samples/qnn/prior/{s}.parquet" for s in QNN_SETS]


def qnn_learning_tables():
    return [f"<results>/data/qnn/learning/{k}.parquet" for k in QNN_LEARNERS] + [
        "<results>/data/qnn/targets.parquet"
    ]
