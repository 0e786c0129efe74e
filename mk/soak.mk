# soak.mk: the soak run (tests/soak.sh). Not part of `make test`.
#
#   make soak [SOAK_SECONDS=600] [SOAK_SERVERS=1000]
#                    SOAK_SERVERS servers (/bin/sleep) under SOAK_SECONDS of
#                    chaos (random SIGKILLs of one, 50 or all servers,
#                    `restart ID`, reloads that change a few servers); samples
#                    the supervisor's RSS and fd count every 10 s; passes if
#                    every server runs again afterwards, fds are back to their
#                    count before the chaos, RSS stays flat and the stop is
#                    clean. SOAK_KEEP=1 keeps the run's directory (its path is
#                    printed; samples.tsv holds the figures).

SOAK_SECONDS ?= 600
SOAK_SERVERS ?= 1000

.PHONY: soak

soak: imageserving
	@SOAK_SECONDS=$(SOAK_SECONDS) SOAK_SERVERS=$(SOAK_SERVERS) IMAGESERVING_BIN=$(CURDIR)/imageserving \
	    tests/soak.sh
