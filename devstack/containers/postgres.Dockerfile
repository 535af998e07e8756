# PostgreSQL 15 from Debian bookworm on the Debian-made base (devstack/images.py), configured like
# the official image: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB; ready when pg_isready says so.
ARG BASE
FROM ${BASE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 \
    && rm -rf /var/lib/apt/lists/* \
    && install -d -o postgres -g postgres /var/lib/postgresql/data /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/entrypoint
ENV PATH=/usr/lib/postgresql/15/bin:$PATH PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/entrypoint"]
