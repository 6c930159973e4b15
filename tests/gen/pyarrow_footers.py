#!/usr/bin/env python3
"""pyarrow_footers.py FILE...: what pyarrow reads from each Parquet file's footer, one JSON line
each in s3-ls-parquet's shape (file = the base name), to compare our decoder with on files that
other writers (Spark) made."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parquet_samples import footer_json  # noqa: E402

for path in sys.argv[1:]:
    print(footer_json(os.path.basename(path), path))
