"""The bureau's review after a batch: resubmissions and copies (duplicates.py), risk points
(risk.py), the 抽评 sample (sample.py) and the filled 复核表 read back (review_read.py).

Pure functions over result records (dicts of results.jsonl) wherever possible: the
batch, `perfeval sample` and `perfeval review` share them.
"""
