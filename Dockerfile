# realizar model server: a static (musl) binary in an empty image.
#
#   docker build -t realizar .
#   docker run --rm -p 3000:3000 realizar                 # the demo model
#   docker run --rm -p 3000:3000 -v "$PWD/models:/models:ro" realizar \
#       --model mnist-v1=/models/mnist.safetensors
#
# Rust on Alpine targets musl and links statically by default, so the
# binary needs nothing from the final image; this works on amd64 and arm64
# builders alike. The `tui` feature (terminal dashboard) is left out.

FROM rust:1.89-alpine AS build
RUN apk add --no-cache musl-dev
WORKDIR /src
COPY . .
ENV CARGO_PROFILE_RELEASE_STRIP=symbols
RUN cargo build --release --locked -p realizar --no-default-features \
    && cp target/release/realizar /realizar

FROM scratch
COPY --from=build /realizar /realizar
# nobody:nogroup; the server needs no privileges and no writable paths.
USER 65534:65534
EXPOSE 3000
ENTRYPOINT ["/realizar", "serve", "--host", "0.0.0.0", "--port", "3000"]
CMD ["--demo"]
