"""What the tests and the benchmark share, kept out of `tests/` so that production-side code
(`bench/`) never imports the test suite: `oracle.py` (independent pandas computations of every
figure) and `pgserver.py` (a throwaway PostgreSQL server on loopback). Nothing the dashboard or
the command line runs imports this package."""
