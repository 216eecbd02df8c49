"""Benchmarks of Tripflow: ``python -m bench.run`` (``make bench``) writes bench/RESULTS.md."""
