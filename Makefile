# Everyday commands. `make check` is what CI runs (after installing).
.PHONY: install test lint type docs check

install:
	python -m pip install -e '.[dev]'

test:
	python -m pytest

lint:
	ruff check engine tests
	ruff format --check engine tests

type:
	mypy engine

docs:
	cog -r docs/cli.md docs/language.md

check: lint type test
