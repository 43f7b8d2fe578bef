# Laid out as Istio's pkg/test/echo/docker/Dockerfile.app, which also copies test certificates and
# creates user 1338 with `RUN useradd`: the sample's base is FROM scratch (no shell), so it lists
# that user in its /etc/passwd instead, and the sample carries no certificates.
ARG BASE_VERSION=latest
ARG ISTIO_BASE_REGISTRY=gcr.io/istio-release

FROM ${ISTIO_BASE_REGISTRY}/base:${BASE_VERSION}
ARG TARGETARCH
COPY ${TARGETARCH:-amd64}/client /usr/local/bin/client
COPY ${TARGETARCH:-amd64}/server /usr/local/bin/server
USER 1338
ENTRYPOINT ["/usr/local/bin/server"]
