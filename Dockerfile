# boomsim's container image: `docker build -t boomsim:0.1.0 .`
#
# Two stages: cargo builds the release binary on the Rust image, and the runtime image is
# Debian slim holding only that binary and models/. `boomsim` is the entrypoint, so
#   docker run --rm -v "$PWD/output:/data/output" boomsim:0.1.0 run --paths 100000
# runs the default model into ./output. scripts/docker-steps.sh runs these same steps without
# Docker (CI machines cannot pull base images); keep to FROM/WORKDIR/ENV/COPY/RUN/ENTRYPOINT/CMD,
# which it understands (one instruction per line).

FROM rust:1.89-slim-bookworm AS build
WORKDIR /src
# What `cargo build` reads: the manifest and lock file (the exact dependency versions), the
# sources, the models (the default model is compiled in), the benches Cargo.toml declares and the
# Python package's manifest (a workspace member; not built here).
COPY Cargo.toml Cargo.lock ./
COPY python ./python
COPY src ./src
COPY models ./models
COPY benches ./benches
RUN cargo build --release --locked --bin boomsim

FROM debian:bookworm-slim
COPY --from=build /src/target/release/boomsim /usr/local/bin/boomsim
COPY models /opt/boomsim/models
# Results go under /data: mount a volume there (Kubernetes: the ReadWriteMany claim of
# docs/scale-out.md), and give model files as /opt/boomsim/models/... or your own mounted path.
WORKDIR /data
ENTRYPOINT ["boomsim"]
CMD ["--help"]
