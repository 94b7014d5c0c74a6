# gokeops build, test and demo entry points. Needs only Go and python3.
#   make install  .venv + Python deps + Go tools + editable install of the packages
#   make ext      rebuild the gopy extension (no-op if no Go input changed)
#   make test     go vet, go test (with and without GOEXPERIMENT=simd), pytest
#   make demo / make bench / make wheel / make clean / make distclean (also .venv)

PYTHON ?= python3
GO     ?= go
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
PYTEST_ARGS ?= -q
PY_DEPS := numpy scipy pytest pybindgen "setuptools>=70.1" wheel
# pykeops.torch: torch (the CPU wheel from PyPI, ~5 GB installed) and the
# libraries whose KeOps back ends the torch tests run. A stamp of its own, so
# that NumPy-only work never waits for it; `make install` / `make test` pull it.
TORCH_DEPS := torch geomloss gpytorch

STAMPS := build/stamps
# Non-empty when the toolchain knows the simd experiment (Go >= 1.26).
SIMD := $(shell GOEXPERIMENT=simd $(GO) env GOEXPERIMENT >/dev/null 2>&1 && echo simd)

.PHONY: install ext test go-test py-test demo bench bench-ref wheel clean distclean

install: $(STAMPS)/install $(STAMPS)/torch

# The virtualenv and the Python packages needed to build and test.
$(STAMPS)/venv:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(PY_DEPS)
	@mkdir -p $(@D) && touch $@

# torch and the client libraries of the torch tests (see TORCH_DEPS).
$(STAMPS)/torch: $(STAMPS)/venv
	$(PIP) install -q $(TORCH_DEPS)
	@mkdir -p $(@D) && touch $@

# gopy and goimports, at the versions pinned in go.mod.
$(STAMPS)/tools: go.mod go.sum
	$(GO) build -o build/tools/ github.com/go-python/gopy golang.org/x/tools/cmd/goimports
	@mkdir -p $(@D) && touch $@

# Editable install: Python edits under python/ are live; setup.py puts the
# extension into python/pykeops_go/_ext (git-ignored). Reinstalled only when
# the packaging files change; Go changes are handled by `ext`.
$(STAMPS)/install: $(STAMPS)/venv $(STAMPS)/tools setup.py pyproject.toml
	$(PIP) install -q --no-build-isolation -e .
	@touch $@

# Always run: setup.py hashes the Go inputs and skips gopy if nothing changed.
ext: $(STAMPS)/install
	$(PY) setup.py -q build_ext --inplace

test: go-test py-test

go-test: ext
	$(GO) vet ./...
	$(GO) test ./...
ifneq ($(SIMD),)
	GOEXPERIMENT=simd $(GO) vet ./...
	GOEXPERIMENT=simd $(GO) test ./...
else
	@echo "toolchain without GOEXPERIMENT=simd: skipping the simd go test run"
endif

py-test: ext $(STAMPS)/torch
	$(PY) -m pytest $(PYTEST_ARGS) tests/

demo: ext
	$(PY) examples/quickstart.py

# The standard workloads (benchmarks/run.py); BENCH_ARGS=--quick for a fast subset.
BENCH_ARGS ?=
bench: ext $(STAMPS)/torch
	$(PY) benchmarks/run.py $(BENCH_ARGS)

# The reference pykeops (and faiss-cpu) for the bench columns, in its own
# virtualenv: our pykeops shim shadows the real one in $(VENV).
# (pykeops compiles C++ with g++ at its first call of each formula.)
bench-ref:
	test -x .venv-ref/bin/python || $(PYTHON) -m venv .venv-ref
	.venv-ref/bin/python -m pip install -q --upgrade pip
	.venv-ref/bin/python -m pip install -q pykeops numpy faiss-cpu torch

# A platform wheel in dist/ (isolated build, as a user's `pip wheel .`).
wheel: $(STAMPS)/venv
	$(PIP) wheel --no-deps -w dist .

clean:
	rm -rf build dist python/pykeops_go/_ext python/*.egg-info .pytest_cache

distclean: clean
	rm -rf $(VENV)
