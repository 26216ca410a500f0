#!/usr/bin/env bash
# Starts what the PostgreSQL and nginx tests need on a Debian machine (run as root; idempotent):
# Debian's PostgreSQL server with a `proscore` role (which may create throwaway databases)
# and a `proscore_test` database on
# 127.0.0.1:5432, and nginx installed (the test starts its own nginx on a free port).
# Prints the URL the tests read from PROSCORE_TEST_POSTGRES.
set -euo pipefail
need=()
# The server itself, not just the client tools (postgresql-common and psql may be there alone).
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
# nginx-light's package starts the system nginx on port 80; the tests run their own.
systemctl stop nginx >/dev/null 2>&1 || service nginx stop >/dev/null 2>&1 || true
version=$(ls -d /usr/lib/postgresql/*/bin/postgres | sed "s|/usr/lib/postgresql/||; s|/bin/postgres||" | sort -n | tail -1)
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1, $2}' | grep -q "^$version main$"; then
  pg_createcluster "$version" main >&2
fi
pg_ctlcluster "$version" main start >/dev/null 2>&1 || pg_ctlcluster "$version" main status >/dev/null
for _ in $(seq 1 50); do runuser -u postgres -- pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
psql_admin() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtAX -h /var/run/postgresql "$@"; }
[ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'proscore'")" = 1 ] \
  || psql_admin -c "CREATE ROLE proscore LOGIN CREATEDB PASSWORD 'proscore'"
psql_admin -c "ALTER ROLE proscore CREATEDB"  # the tests make throwaway databases
[ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'proscore_test'")" = 1 ] \
  || psql_admin -c "CREATE DATABASE proscore_test OWNER proscore"
echo "postgres://proscore:proscore@127.0.0.1:5432/proscore_test"
