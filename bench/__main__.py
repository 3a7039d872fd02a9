"""Run every benchmark: `make bench` or `python -m bench`."""

from bench import bench_create, bench_fake_stream, bench_postgres

bench_fake_stream.main([])
bench_postgres.main([])
bench_create.main([])
