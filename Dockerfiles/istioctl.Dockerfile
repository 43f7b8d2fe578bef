# BASE_DISTRIBUTION picks the variant's base: debug (default) or distroless
ARG BASE_DISTRIBUTION=debug
FROM base AS debug
FROM distroless AS distroless
FROM ${BASE_DISTRIBUTION}
ARG TARGETARCH
COPY ${TARGETARCH}/istioctl /usr/local/bin/istioctl
USER 1337:1337
ENTRYPOINT ["/usr/local/bin/istioctl"]
