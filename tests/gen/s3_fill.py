#!/usr/bin/env python3
"""s3_fill.py BUCKET PREFIX N FILE: put N copies of FILE at PREFIX/part-%05d.parquet (boto3,
endpoint and credentials from the usual AWS environment). For listing tests and benchmarks."""
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3

bucket, prefix, n, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
body = open(path, "rb").read()
s3 = boto3.client("s3")


def put(i):
    s3.put_object(Bucket=bucket, Key="%spart-%05d.parquet" % (prefix, i), Body=body)


with ThreadPoolExecutor(16) as pool:
    list(pool.map(put, range(n)))
