"""CPU time per request of the list pages against the trivial page, in process (no network, no other client).

    python -m bench.participation --url sqlite:////tmp/bench.db          # loads 100,000 contributions once
    python -m bench.list_cpu --url sqlite:////tmp/bench.db [--profile list]

CPU time (time.process_time) rather than wall time, so that the other processes of a shared machine weigh less on
the figures; each case is the best of 5 rounds of `--requests` requests, after a warm-up, signed in as user 1 like
bench.participation. The ratio trivial / list is the list page's throughput relative to the trivial page's.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from bench.participation import SLUG

CASES = {
    "trivial page": ("pages.legal", {}, False),
    "list sort=recent": ("contributions.index", {"slug": SLUG, "sort": "recent"}, False),
    "list sort=recent (htmx partial)": ("contributions.index", {"slug": SLUG, "sort": "recent"}, True),
    "list q=échographie": ("contributions.index", {"slug": SLUG, "q": "échographie"}, False),
    "list q=santé": ("contributions.index", {"slug": SLUG, "q": "santé"}, False),
    "list q=numériques": ("contributions.index", {"slug": SLUG, "q": "numériques"}, False),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:////tmp/consult-bench.db")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--profile", choices=list(CASES), help="print the cProfile of this case afterwards")
    parser.add_argument(
        "--no-card-cache", action="store_true", help="render every card each time (the worst case: no card seen before)"
    )
    args = parser.parse_args()

    from flask import url_for

    from consult import create_app

    app = create_app({"DATABASE_URL": args.url, "RATELIMIT_ENABLED": False, "TESTING": False})
    if args.no_card_cache:
        from consult.contributions import cards

        app.extensions["consult.card_cache"] = cards._CardCache(0)
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["user_id"], flask_session["user_version"] = 1, 1
    with app.test_request_context():
        urls = {name: url_for(endpoint, **values) for name, (endpoint, values, _) in CASES.items()}

    def get(name: str) -> None:
        response = client.get(urls[name], headers={"HX-Request": "true"} if CASES[name][2] else {})
        assert response.status_code == 200, (name, response.status_code)

    results = {}
    for name in CASES:
        for _ in range(3):
            get(name)
        best = float("inf")
        for _ in range(5):
            started = time.process_time()
            for _ in range(args.requests):
                get(name)
            best = min(best, (time.process_time() - started) / args.requests)
        results[name] = best * 1000
    trivial = results["trivial page"]
    print("| request | CPU ms | throughput / trivial page |\n|---|---:|---:|")
    for name, ms in results.items():
        print(f"| {name} | {ms:.2f} | {trivial / ms:.2f} |")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            get(args.profile)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
