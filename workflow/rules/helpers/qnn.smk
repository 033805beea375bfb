# Helpers of qnn.smk: its sample sets and job parameters.

from nnbayes.qnn import paths as qnn_paths
from nnbayes.qnn.plan import prior_sets

QNN = config["qnn"]
QNN_SETS = prior_sets(QNN)
QNN_LEARNERS = qnn_paths.LEARNERS


def qnn_prior_tables():
    return results(qnn_paths.prior_tables(config))
