GO ?= go

.PHONY: demo test vet build bench fuzz

# Training mode: a local MySQL (POS_DSN if it answers, else a private
# MariaDB the till starts and stops), migrated and seeded, nothing charged.
demo:
	@bash .ci/ensure-packages mariadb
	@echo "building the till (the first time takes about a minute)…"
	@$(GO) build -o till ./cmd/till
	./till demo

# Everything, against a real MariaDB (reused on 127.0.0.1:3306 or started
# privately for the run).
test: vet
	bash .ci/ensure-packages all
	bash .ci/ensure-tools
	@# -race needs cgo and a C compiler; without one (a user who may not
	@# install gcc) the tests still run, without it, except under CI.
	race=-race; if [ "$$CI" != true ] && ! command -v $${CC:-gcc} >/dev/null 2>&1; then \
	  race=; echo "no C compiler: running the tests without the race detector" >&2; fi; \
	PATH="$$PATH:$$($(GO) env GOPATH)/bin" bash .ci/with-mysql $(GO) test $$race -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...

build:
	$(GO) build -o till ./cmd/till

bench:
	bash .ci/with-mysql $(GO) test -run '^$$' -bench . -benchmem ./...

# Every fuzz test in the module, FUZZTIME each (default 30s).
fuzz:
	bash .ci/with-mysql bash .ci/fuzz
