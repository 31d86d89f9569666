# Benchmarks, as thin wrappers over `cargo xtask bench` (docs/src/benchmarking.md).
#
#   make bench                      every built suite, report in target/realizar-report/
#   make bench-tensor               the tensor_ops suite
#   make bench SAVE=main            ... and save the run as baseline "main"
#   make bench BASELINE=main        ... and judge it against baseline "main"
#   make bench-tensor ARGS="-- matvec"   extra options, here a criterion filter
#   make bench-report BASELINE=main the report again, from results on disk

CARGO ?= cargo
BASELINE_FLAGS = $(if $(SAVE),--save-baseline $(SAVE)) $(if $(BASELINE),--baseline $(BASELINE))

.PHONY: help bench bench-tensor bench-report

help:
	@sed -n '3,8s/^# *//p' Makefile

bench:
	$(CARGO) xtask bench $(BASELINE_FLAGS) $(ARGS)

bench-tensor:
	$(CARGO) xtask bench tensor_ops $(BASELINE_FLAGS) $(ARGS)

bench-report:
	$(CARGO) xtask bench --no-run $(if $(BASELINE),--baseline $(BASELINE)) $(ARGS)
