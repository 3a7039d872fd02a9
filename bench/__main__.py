"""Run every benchmark: `make bench` or `python -m bench`."""

from bench import (
    bench_chat,
    bench_create,
    bench_fake_stream,
    bench_load,
    bench_migration,
    bench_postgres,
)

bench_fake_stream.main([])
bench_postgres.main([])
bench_create.main([])
bench_migration.main([])
bench_chat.main([])
bench_load.main([])
