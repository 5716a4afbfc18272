# make soak / make soak-smoke — load and fault runs against a real httpd
# (tests/soak/, not part of make test):
#   soak_graceful     8 clients, whole wizard flows and pages, graceful restart every 10 s
#   soak_pg_outage    PostgreSQL stopped for 15 s under load: 503 page, recovery, nothing lost
#   soak_kill9        kill -9 of httpd children during confirm POSTs: rows and outbox checked in SQL
#   soak_mail_outage  the mail program failing for SOAK_SECONDS under load: every mail once
#   soak_anonymous    10,000 cookie-less GETs: the session tables do not grow
# Each is bounded in time, talks to 127.0.0.1 only, and reports counts; one
# summary table at the end (all figures in var/soak/results.json).  They use
# a PostgreSQL of their own (tests/soak/pg.sh, port 55433), never the one
# of make test.  make soak-smoke runs each for a few seconds.
SOAK_SECONDS ?= 60

.PHONY: soak soak-run soak-smoke soak-smoke-run

soak: deps
	@$(MAKE) --no-print-directory soak-run

soak-run: all
	$(PYTHON) tests/soak/run.py --seconds $(SOAK_SECONDS)

soak-smoke: deps
	@$(MAKE) --no-print-directory soak-smoke-run

soak-smoke-run: all
	$(PYTHON) tests/soak/run.py --smoke
