# BASE_DISTRIBUTION picks the variant's base: debug (default) or distroless
ARG BASE_DISTRIBUTION=debug
FROM base AS debug
FROM distroless AS distroless
FROM ${BASE_DISTRIBUTION}
ARG TARGETARCH
COPY ${TARGETARCH}/pilot-discovery /usr/local/bin/pilot-discovery
USER 1337:1337
ENTRYPOINT ["/usr/local/bin/pilot-discovery"]
