# An example image of the `pathledger` program (see docs/DEPLOYMENT.md). Build from the
# repository root: `docker build -t pathledger .`
FROM rust:bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p pathledger

FROM debian:bookworm-slim
# The program carries its own TLS roots (webpki) for SMTP and fetching; ca-certificates is for
# anything else run in the container.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /var/lib/pathledger --create-home pathledger
COPY --from=build /src/target/release/pathledger /usr/local/bin/pathledger
USER pathledger
WORKDIR /var/lib/pathledger
# The data folder holds only the mail outbox when SMTP is not configured (and the SQLite file and
# generated key-encryption key if no PostgreSQL URL and no PATHLEDGER_KEK are given).
ENV PATHLEDGER_DATA_DIR=/var/lib/pathledger \
    PATHLEDGER_BIND=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["pathledger"]
CMD ["serve", "--no-demo"]
