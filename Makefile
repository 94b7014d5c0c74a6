# gokeops build, test and demo entry points. Needs only Go and python3.
#   make install  .venv + Python deps + Go tools + editable install of the packages
#                 + the gokeops command in .venv/bin
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
# Test-only: the property-based suite (tests/test_properties.py).
PY_TEST_DEPS := hypothesis
# pykeops_go.dask and its tests (a LocalCluster): dask.array and dask.distributed,
# in a stamp of their own so that existing virtualenvs get them at the next install.
DASK_DEPS := "dask[array,distributed]"
# pykeops.torch: torch (the CPU wheel from PyPI, ~5 GB installed) and the
# libraries whose KeOps back ends the torch tests run. A stamp of its own, so
# that NumPy-only work never waits for it; `make install` / `make test` pull it.
TORCH_DEPS := torch geomloss gpytorch

STAMPS := build/stamps
# Non-empty when the toolchain knows the simd experiment (Go >= 1.26).
SIMD := $(shell GOEXPERIMENT=simd $(GO) env GOEXPERIMENT >/dev/null 2>&1 && echo simd)

.PHONY: install cli ext test go-test py-test demo bench bench-ref wheel test-python clean distclean

install: $(STAMPS)/install $(STAMPS)/torch cli

# The command line tool, as `go install ./cmd/gokeops` would, into .venv/bin.
cli: $(STAMPS)/venv
	GOBIN=$(abspath $(VENV))/bin $(GO) install ./cmd/gokeops

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
# Both engine variants are built (setup.py): the CPU one and the cuda-tagged
# pykeops_go._ext_cuda, against the headers of $(CUDA_DEPS); PYKEOPS_GO_CUDA=0
# builds the CPU one only.
$(STAMPS)/install: $(STAMPS)/venv $(STAMPS)/dask-deps $(STAMPS)/tools $(STAMPS)/cuda-headers setup.py pyproject.toml
	$(PIP) install -q --no-build-isolation -e .
	@touch $@

$(STAMPS)/dask-deps: $(STAMPS)/venv
	$(PIP) install -q $(DASK_DEPS)
	@touch $@

# Always run: setup.py hashes the Go inputs and skips gopy if nothing changed.
ext: $(STAMPS)/install
	$(PY) setup.py -q build_ext --inplace

test: go-test py-test

# NVRTC from its PyPI wheel (libnvrtc.so.12, no GPU needed): the tests of
# pkg/cudagen compile every generated CUDA kernel with it.
NVRTC_DEPS := nvidia-cuda-nvrtc-cu12
$(STAMPS)/nvrtc: $(STAMPS)/venv
	$(PIP) install -q $(NVRTC_DEPS)
	@touch $@

# The cuda-tagged build (pkg/cudagen's launcher, gorgonia.org/cu) compiles
# with no GPU and no toolkit: against the CUDA 12 headers of a PyPI wheel,
# linked with a stub of libcuda.so.1 made from them (the driver's library
# replaces it at run time). `make cuda-test-bin` builds the test binary
# that benchmarks/gpu_check.sh runs on a GPU machine.
CUDA_DEPS := nvidia-cuda-runtime-cu12
CUDA_STUB := build/cudastub/libcuda.so
CUDA_INC   = $(firstword $(wildcard $(VENV)/lib/python3*/site-packages/nvidia/cuda_runtime/include))
CUDA_ENV   = CGO_CFLAGS="-I$(abspath $(CUDA_INC))" CGO_LDFLAGS="-L$(abspath $(dir $(CUDA_STUB)))"
$(STAMPS)/cuda-headers: $(STAMPS)/venv
	$(PIP) install -q $(CUDA_DEPS)
	@touch $@

$(CUDA_STUB): $(STAMPS)/cuda-headers scripts/cuda_stub.py
	CC=$(CC) $(PY) scripts/cuda_stub.py $(@D) $(CUDA_INC)

.PHONY: cuda-vet cuda-test-bin
cuda-vet: $(CUDA_STUB)
	$(CUDA_ENV) $(GO) vet -tags cuda ./pkg/cudagen/... ./gokeops

cuda-test-bin: $(CUDA_STUB)
	$(CUDA_ENV) $(GO) test -c -tags cuda -o build/gpu/cudagen.test ./pkg/cudagen

# Everything benchmarks/gpu_check.sh needs on a GPU machine without Go, in
# build/gpu (carry that one path): the cuda-tagged test binary and, in
# build/gpu/py312, pykeops_go + pykeops for CPython 3.12 with both engine
# variants (a regular `pip install --target`, of pyenv's 3.12 when there is
# one). The bundle must stay under 64 MiB.
GPU_BUNDLE_PYTHON = $(or $(wildcard $(shell pyenv prefix 3.12 2>/dev/null)/bin/python3.12),python3.12)
GPU_BUNDLE_MAX := 67108864
.PHONY: gpu-bundle
gpu-bundle: cuda-test-bin $(STAMPS)/tools
	rm -rf build/gpu/py312 build/gpu/out
	$(GPU_BUNDLE_PYTHON) -m pip install -q --no-deps --no-compile --target build/gpu/py312 .
	rm -rf build/gpu/py312/*.dist-info build/gpu/py312/bin
	@size=$$(du -sb build/gpu | cut -f1); echo "build/gpu: $$size bytes"; \
	  test $$size -lt $(GPU_BUNDLE_MAX) || { echo "build/gpu is over 64 MiB" >&2; exit 1; }

go-test: ext $(STAMPS)/nvrtc
	$(GO) vet ./...
	$(GO) test ./...
ifneq ($(SIMD),)
	GOEXPERIMENT=simd $(GO) vet ./...
	GOEXPERIMENT=simd $(GO) test ./...
else
	@echo "toolchain without GOEXPERIMENT=simd: skipping the simd go test run"
endif

py-test: ext cli $(STAMPS)/py-test-deps $(STAMPS)/torch
	$(PY) -m pytest $(PYTEST_ARGS) tests/

$(STAMPS)/py-test-deps: $(STAMPS)/venv
	$(PIP) install -q $(PY_TEST_DEPS)
	@mkdir -p $(@D) && touch $@

# A kernel density picture (build/demo/density.png), a kNN query and a
# LazyTensor regression on 100,000 points, checked against NumPy: ~15 s.
demo: ext
	$(PY) examples/demo.py

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

# Rewrite tests/data/pykeops_surface.json (pykeops 2.3's public names per module,
# checked by tests/test_surface.py) from the real pykeops of .venv-ref (make bench-ref).
.PHONY: surface-list
surface-list:
	.venv-ref/bin/python scripts/pykeops_surface.py

# A platform wheel in dist/ (isolated build, as a user's `pip wheel .`) for
# the Python of .venv, or for another: make wheel PYTHON_VERSION=3.13.
# Supported: CPython 3.10, 3.11, 3.12 and 3.13 (each tested by
# make test-python PYTHON_VERSION=3.X; CI tests 3.11 and 3.12), on Linux
# with Go >= 1.26 and a C compiler to build. The extension does not link
# libpython (setup.py), so a cp3XY wheel loads in any CPython 3.XY, with a
# shared or a static libpython.
WHEEL_PYTHON = $(if $(filter command line environment,$(origin PYTHON_VERSION)),$(OTHER_PYTHON),$(PY))
wheel: $(STAMPS)/venv $(STAMPS)/tools
	$(WHEEL_PYTHON) -m pip wheel --no-deps -w dist .
	@echo "supported: CPython 3.10, 3.11, 3.12, 3.13 (one wheel per version: make wheel PYTHON_VERSION=3.X)"

# The pytest suite on another CPython (3.10-3.13; pyenv's if there is one,
# else python3.X on PATH), in its own virtualenv .venv-py3.X with a regular
# `pip install .` as a user would: make test-python PYTHON_VERSION=3.12
PYTHON_VERSION ?= 3.12
# torch (~5 GB per interpreter) and its clients are installed and tested on the
# Python of .venv (make test); the other versions run every other suite.
# The module-surface test imports pykeops.torch too, so it runs there as well.
OTHER_PYTEST_IGNORE := --ignore-glob='tests/test_torch_*' --ignore=tests/test_surface.py
OTHER_VENV := .venv-py$(PYTHON_VERSION)
OTHER_PYTHON := $(or $(wildcard $(shell pyenv prefix $(PYTHON_VERSION) 2>/dev/null)/bin/python$(PYTHON_VERSION)),python$(PYTHON_VERSION))
test-python: $(STAMPS)/tools
	test -x $(OTHER_VENV)/bin/python || $(OTHER_PYTHON) -m venv $(OTHER_VENV)
	$(OTHER_VENV)/bin/python -m pip install -q --upgrade pip
	$(OTHER_VENV)/bin/python -m pip install -q numpy scipy pytest $(PY_TEST_DEPS) $(DASK_DEPS)
	$(OTHER_VENV)/bin/python -m pip install -q .
	GOBIN=$(abspath $(OTHER_VENV))/bin $(GO) install ./cmd/gokeops
	$(OTHER_VENV)/bin/python -m pytest $(PYTEST_ARGS) $(OTHER_PYTEST_IGNORE) tests/

clean:
	rm -rf build dist python/pykeops_go/_ext python/pykeops_go/_ext_cuda python/*.egg-info .pytest_cache

distclean: clean
	rm -rf $(VENV) .venv-py3.*
