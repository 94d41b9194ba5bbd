# Makes sure a PostgreSQL server answers on 127.0.0.1 for the PostgreSQL tests, and exports
# where it is. Source it (`. .ci/postgres.sh`): it exports
#   CREDENTIAL_ISSUER_TEST_POSTGRES_URL  the server (a database the tests may CREATE DATABASE from)
#   CREDENTIAL_ISSUER_REQUIRE_POSTGRES=1 (informational: the PostgreSQL tests are #[ignore]d and
#   run with --ignored, where a missing server is always a failure).
#
# The server already running on the machine is used when there is one (database `test`, user
# `postgres`, trust authentication on 127.0.0.1:5432). Otherwise PostgreSQL is installed if
# missing (apt-get), and a private cluster with trust authentication is initialised in a
# temporary directory, started on 127.0.0.1, and stopped when the sourcing shell exits.
# Only ever loopback.

ci_pg_url="${CREDENTIAL_ISSUER_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
ci_pg_port="$(printf '%s' "$ci_pg_url" | sed -E 's#^[a-z]+://[^/]*:([0-9]+)/.*#\1#; t; s#.*#5432#')"

ci_pg_answers() {
    command -v psql >/dev/null 2>&1 && psql "$1" -Atqc 'SELECT 1' >/dev/null 2>&1
}

ci_pg_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

if ci_pg_answers "$ci_pg_url"; then
    printf 'PostgreSQL: using the server at 127.0.0.1:%s\n' "$ci_pg_port"
else
    if [ -z "$(ci_pg_bin)" ] || ! command -v psql >/dev/null 2>&1; then
        printf 'PostgreSQL: not installed; installing it (apt-get)\n'
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
    fi
    ci_pg_bindir="$(ci_pg_bin)"
    if [ -z "$ci_pg_bindir" ]; then
        printf 'PostgreSQL: could not install it\n' >&2
        return 1 2>/dev/null || exit 1
    fi
    # A private cluster: trust authentication, loopback only, on the URL's port.
    ci_pg_dir="$(mktemp -d /tmp/ci-postgres.XXXXXX)"
    ci_pg_as=()
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        chown postgres "$ci_pg_dir"
        ci_pg_as=(runuser -u postgres --)
    fi
    printf 'PostgreSQL: starting a private cluster in %s on 127.0.0.1:%s\n' "$ci_pg_dir" "$ci_pg_port"
    "${ci_pg_as[@]}" "$ci_pg_bindir/initdb" -D "$ci_pg_dir/data" -U postgres --auth=trust \
        --no-sync >/dev/null
    "${ci_pg_as[@]}" "$ci_pg_bindir/pg_ctl" -D "$ci_pg_dir/data" -l "$ci_pg_dir/log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $ci_pg_port -k $ci_pg_dir -c max_connections=300" \
        start >/dev/null
    trap '"${ci_pg_as[@]}" "'"$ci_pg_bindir"'/pg_ctl" -D "'"$ci_pg_dir"'/data" -m fast stop >/dev/null 2>&1; rm -rf "'"$ci_pg_dir"'"' EXIT
    psql "postgres://postgres@127.0.0.1:$ci_pg_port/postgres" -qc 'CREATE DATABASE test' >/dev/null
    ci_pg_url="postgres://postgres@127.0.0.1:$ci_pg_port/test"
    if ! ci_pg_answers "$ci_pg_url"; then
        printf 'PostgreSQL: the private cluster does not answer (log: %s/log)\n' "$ci_pg_dir" >&2
        return 1 2>/dev/null || exit 1
    fi
fi

export CREDENTIAL_ISSUER_TEST_POSTGRES_URL="$ci_pg_url"
export CREDENTIAL_ISSUER_REQUIRE_POSTGRES=1
