# kmsd in a container: one statically linked binary in an empty (scratch) image.
#
#   docker build -t kmsd .                    builds kmsd from source (needs the network)
#   docker build --target offline -t kmsd .   packages a binary built beforehand, offline, with
#       RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --target x86_64-unknown-linux-gnu
#
# The offline stage comes first because the legacy builder (no BuildKit) builds every stage up
# to --target: with it first, `--target offline` never pulls the Rust image. The two runtime
# stages must stay alike (tests/it/tidy.rs checks that they do).

# Runtime image from a prebuilt static binary in the build context.
FROM scratch AS offline
COPY --chown=65532:65532 docker/data/ /data/
COPY target/x86_64-unknown-linux-gnu/release/kmsd /kmsd
USER 65532:65532
ENV KMS_HOST=0.0.0.0 KMS_PORT=8080 KMS_DATA_PATH=/data KMS_SEED_PATH=/init/seed.yaml
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 CMD ["/kmsd", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/kmsd"]
CMD ["serve"]

# Builds the static binary. glibc's static libc is enough: the image listens on 0.0.0.0, and
# kmsd reads `--host localhost` without a resolver (a static glibc finds no NSS modules here).
FROM rust:1.95-bookworm AS builder
# Another Linux target (aarch64-unknown-linux-gnu on an arm64 machine) works the same way.
ARG TARGET=x86_64-unknown-linux-gnu
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src/ src/
RUN rustup target add "$TARGET" \
    && RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target "$TARGET" \
    && cp "target/$TARGET/release/kmsd" /kmsd

# The default target: the runtime image, with the binary built above.
FROM scratch
COPY --chown=65532:65532 docker/data/ /data/
COPY --from=builder /kmsd /kmsd
USER 65532:65532
ENV KMS_HOST=0.0.0.0 KMS_PORT=8080 KMS_DATA_PATH=/data KMS_SEED_PATH=/init/seed.yaml
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 CMD ["/kmsd", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/kmsd"]
CMD ["serve"]
