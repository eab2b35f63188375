"""Counting and scoring on a Dask cluster (the optional extra: pip install 'next-token-prediction[dask]').

    from next_token.distributed import connect, train_on_dask, score_on_dask
    with connect(workers=4) as client:                      # a LocalCluster on this machine
        lm = train_on_dask(["corpus/"], client, order=5)     # the same model as LanguageModel.train
    with connect(scheduler="tcp://head:8786") as client:    # any running cluster
        for row in score_on_dask("web.ntp", ["crawl/"], client, lines=True):
            ...                                              # one DocumentScore per document, in order

Training (counting.py) goes in two passes over the files, each file group a task:

1. vocabulary: each task returns its tokens in first-seen order; the client walks the groups in
   corpus order and gives ids to tokens it has not seen, which is exactly the first-seen order of
   reading the corpus on one machine, so ids (and every key of the model) are the same;
2. counting: the vocabulary is broadcast, each task counts its files into mergeable tables
   (`ngram.counting.PartialCounts`, plus the spacing statistics of `text.spacing_tally`), and the
   tables are added pairwise on the workers (a tree); the client writes the sum to a temporary
   folder and estimates it in blocks (`ngram.blockwise`), as the bounded-memory build does.

A tokenizer that learns from the corpus (BPE) learns on the client first, reading the files once.
Scoring (scoring.py) sends groups of documents to the workers, which map the model file once per
process and score a whole group with one vectorized pass; rows come back in input order.

Workers read the files themselves: paths must mean the same file on every worker (a shared file
system), and the model file for scoring likewise. See README.md, "Beyond one machine".
"""

from .cluster import connect
from .counting import train_on_dask
from .scoring import DocumentScore, score_on_dask

__all__ = ["connect", "train_on_dask", "score_on_dask", "DocumentScore"]
