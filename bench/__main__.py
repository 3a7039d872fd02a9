"""Run every benchmark: `make bench` or `python -m bench`."""

from bench import bench_fake_stream, bench_postgres

bench_fake_stream.main([])
bench_postgres.main([])
