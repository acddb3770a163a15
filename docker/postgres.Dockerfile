# PostgreSQL for docker/compose.yaml where no registry is reachable: Debian's, run the way the
# official image runs (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB; data in
# /var/lib/postgresql/data; pg_isready on PATH), so DLSYS_POSTGRES_IMAGE can name either.
# `dlsys server-image --postgres` builds it (autograder/deploy/server_image.py).
ARG BASE=local/debian:bookworm
FROM ${BASE}
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/lib/postgresql/*/bin/postgres /usr/lib/postgresql/*/bin/initdb /usr/local/bin/ \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
USER postgres
EXPOSE 5432
ENTRYPOINT ["bash", "/usr/local/bin/postgres-entrypoint.sh"]
