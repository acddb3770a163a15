#!/usr/bin/env bash
# First start on an empty data folder: initdb with POSTGRES_USER as the superuser and its
# password (scram), then POSTGRES_DB; every start: postgres listening on all addresses.
set -euo pipefail
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}"
if [ -z "${POSTGRES_PASSWORD:-}" ]; then
  echo "postgres-entrypoint: set POSTGRES_PASSWORD (docker/.env)" >&2
  exit 1
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
         --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 -D "$PGDATA" >/dev/null
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  postgres -D "$PGDATA" -c listen_addresses='' -k /var/run/postgresql &
  setup=$!
  until pg_isready -q -h /var/run/postgresql; do sleep 0.2; done
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -h /var/run/postgresql -U "$POSTGRES_USER" -d postgres -v ON_ERROR_STOP=1 -q \
         -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  kill -INT "$setup" && wait "$setup" || true
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c max_connections=200 -k /var/run/postgresql
