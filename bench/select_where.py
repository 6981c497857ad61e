"""Benchmark: ``select``'s attribute filter pushed down to PostGIS against reading the whole
layer and filtering it in pandas, on the same PostGIS store in the same run, as a ratio.

The town is bench/store.py's (N buildings over 10 × 10 km). For each filter: the push-down
(the parsed filter compiled by ``twin.query.expr.to_sql`` into a parametrised ``WHERE``, only
the matching rows read back) and the baseline (``TWIN_PUSHDOWN=0``: the whole layer read,
then the in-memory filter), each the best of ``--repeat`` runs. The selected ids must be
identical.

Run: ``.venv/bin/python bench/select_where.py [--n 100000] [--repeat 3]``; the PostGIS server
is ``$TWIN_BENCH_PG`` or ``$TWIN_TEST_PG``.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid

from store import timed, town

from twin.query import get_query
from twin.query.inputs import QueryInputs

FILTERS = [
    "height_m > 78 and use == 'R'",        # ≈ 0.7 % of the rows
    "name contains '楼12'",                # ≈ 1 %, Chinese text
    "floors in (3, 4) or height_m < 7",    # ≈ 9 %
    "height_m > 60",                       # ≈ 27 %
]


def run(store, where: str, *, pushdown: bool):
    """``select`` of buildings matching ``where``, pushed down or not."""
    spec = get_query("select")
    if not pushdown:
        os.environ["TWIN_PUSHDOWN"] = "0"
    try:
        return spec.run(QueryInputs(store), **{**spec.defaults(), "where": where})
    finally:
        os.environ.pop("TWIN_PUSHDOWN", None)


def main(argv=None) -> int:
    """Run the benchmark and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="buildings (default 100000)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    url = os.environ.get("TWIN_BENCH_PG") or os.environ.get("TWIN_TEST_PG")
    if not url:
        print("postgis: skipped (set TWIN_TEST_PG, e.g. `. .ci/start-postgis`)")
        return 0
    from twin.store.postgis import PostGISStore

    sep = "&" if "?" in url else "?"
    pg = PostGISStore(f"{url}{sep}schema=bench_{uuid.uuid4().hex[:8]}")
    try:
        pg.commit(town(args.n)[:1])
        print(f"town: {args.n} buildings in PostGIS\n")
        print(f"{'filter':38s}{'rows':>8s}{'read all + pandas':>20s}{'push-down':>12s}"
              f"{'ratio':>9s}")
        for where in FILTERS:
            base, a = timed(lambda w=where: run(pg, w, pushdown=False), repeat=args.repeat)
            push, b = timed(lambda w=where: run(pg, w, pushdown=True), repeat=args.repeat)
            assert "PostGIS WHERE" in b.methods["engine"], b.methods["engine"]
            if a.layer["id"].tolist() != b.layer["id"].tolist() or a.summary != b.summary:
                print(f"{where}: the push-down selected other rows")
                return 1
            print(f"{where:38s}{b.summary['matched']:8d}{base:18.3f} s{push:10.3f} s"
                  f"{push / base:8.2f}×")
        print("\nratio: push-down time / baseline time (lower is faster); ids identical")
    finally:
        pg.destroy()
        pg.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
