#!/usr/bin/env bash
# Starts a local PostgreSQL for the Django-ORM store tests and prints its DSN on stdout
# (everything else goes to stderr). Installs the Debian package when it is missing.
# Usage: TENXYTE_TEST_POSTGRES="$(.ci/postgres.sh)"
# The role may create databases: the tests make a fresh one per run and drop it after.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
role=tenxyte_test
password=tenxyte_test
db=tenxyte_test
if ! command -v pg_ctlcluster >/dev/null || ! command -v pg_lsclusters >/dev/null; then
  echo "postgres.sh: installing PostgreSQL" >&2
  $SUDO apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
# The first cluster Debian knows of: "<version> <name> <port> <status> ...".
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1) || {
  echo "postgres.sh: no PostgreSQL cluster (pg_lsclusters is empty)" >&2
  exit 1
}
if [ "$status" != online ]; then
  echo "postgres.sh: starting cluster $version/$cluster on port $port" >&2
  $SUDO pg_ctlcluster "$version" "$cluster" start >&2
fi
psql_admin() { $SUDO runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -qAt "$@"; }
for _ in $(seq 1 30); do
  psql_admin -c 'select 1' >/dev/null 2>&1 && break
  sleep 1
done
if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$role'")" != 1 ]; then
  psql_admin -c "create role $role login createdb password '$password'" >&2
fi
if [ "$(psql_admin -c "select 1 from pg_database where datname = '$db'")" != 1 ]; then
  psql_admin -c "create database $db owner $role" >&2
fi
echo "postgresql://$role:$password@127.0.0.1:$port/$db"
