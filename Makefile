# Every target here is what CI runs (.ci/run calls `make lint`, `make test` and
# `make schemathesis`).
.PHONY: run run-server test lint fmt bench services purity schemathesis install

# Where `make install` puts the binaries (in $(PREFIX)/bin).
PREFIX ?= $(HOME)/.local

# Serve the API on http://127.0.0.1:8080 with the embedded database (data/exam-booking.sqlite3)
# and the in-process lock: nothing to install or start. One process only.
run:
	cargo run --bin api-server

# The production shape: PostgreSQL and Redis (started if needed), same URL.
run-server: services
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/exam_booking} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379} \
	cargo run --bin api-server

# The whole suite: unit tests, then the repository, end-to-end, cap and rush suites on both
# backends (PostgreSQL + Redis, and the embedded SQLite + in-process), in parallel. Each
# integration test gets its own database (cloned from a migrated template) and, on the server
# backend, its own Redis key prefix. Ends with one line counting the whole run.
test: services
	scripts/test.sh

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

# Release server on fresh databases (PostgreSQL + Redis, then embedded); prints each workload's
# rate and p99 against a ceiling measured in the same run.
bench:
	scripts/bench.sh

# Property-based API tests from the OpenAPI document (schemathesis, installed into target/).
schemathesis: services
	scripts/schemathesis.sh

services:
	scripts/ensure-services.sh

# Release builds of api-server and slot-generator in $(PREFIX)/bin (default ~/.local/bin), for
# cron and service managers: `make install PREFIX=/usr/local` for a system-wide install.
install:
	cargo install --locked --path bin/api-server --root $(PREFIX) --target-dir target
	cargo install --locked --path bin/slot-generator --root $(PREFIX) --target-dir target
	@echo "installed: $(PREFIX)/bin/api-server $(PREFIX)/bin/slot-generator"
