# Every target here is what CI runs (.ci/run calls `make lint` and `make test`).
.PHONY: run test lint fmt bench services purity

# Start PostgreSQL and Redis if needed, then serve the API on http://127.0.0.1:8080.
run: services
	cargo run --bin api-server

# The whole suite: unit tests, repository tests, end-to-end and concurrency tests, in parallel.
# Each integration test gets its own database (cloned from a migrated template) and its own
# Redis key prefix.
test: services
	cargo test --workspace

lint: purity
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# The domain crate must stay free of I/O: no runtime, database, web or Redis crate below it.
purity:
	@if cargo tree -p domain -e normal --prefix none | grep -E '^(tokio|diesel|actix|redis|deadpool)' ; then \
		echo "domain depends on an I/O crate (above)"; exit 1; \
	else echo "domain is pure"; fi

fmt:
	cargo fmt --all

# Release server on a fresh database; prints req/s and p50/p99 per workload.
bench:
	scripts/bench.sh

services:
	scripts/ensure-services.sh
