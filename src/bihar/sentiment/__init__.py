"""French review sentiment on Allociné: loaders, preprocessing, TF-IDF baselines, word2vec, LSTMs.

Labels: 0 negative, 1 positive. The notebook `notebooks/02_review_sentiment.ipynb` calls these
modules; `python -m bihar.sentiment.corpus` builds the external French corpus and its vectors.
"""

EXPERIMENT = "sentiment"
