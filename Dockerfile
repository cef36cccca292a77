# syntax=docker/dockerfile:1
# The suite's images: every binary (syncd, syncctl, file-provider,
# haproxy-sync) is in each; the target picks the entry point.
#
#   docker build --target syncd -t ghcr.io/example/traefik-sync/syncd:0.1.0 .
#   docker build --target file-provider -t ghcr.io/example/traefik-sync/file-provider:0.1.0 .
#
# Build stage: the workspace in release mode, the lockfile as committed.
FROM docker.io/library/rust:1.89-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p syncd -p file-provider --bins \
    && mkdir -p /out \
    && cp target/release/syncd target/release/syncctl target/release/haproxy-sync \
          target/release/file-provider /out/

# Final stage: glibc, CA certificates and nothing else (no shell, no package
# manager); runs as the distroless `nonroot` user (65532), matching the
# manifests' runAsUser.
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
COPY --from=build /out/ /usr/local/bin/
USER 65532:65532

FROM runtime AS file-provider
ENTRYPOINT ["/usr/local/bin/file-provider"]

FROM runtime AS haproxy-sync
ENTRYPOINT ["/usr/local/bin/haproxy-sync"]

# Last: the default target.
FROM runtime AS syncd
ENTRYPOINT ["/usr/local/bin/syncd"]
