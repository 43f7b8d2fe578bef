# BASE_DISTRIBUTION picks the variant's base: debug (default) or distroless
ARG BASE_DISTRIBUTION=debug
FROM base AS debug
FROM distroless AS distroless
FROM ${BASE_DISTRIBUTION}
ARG TARGETARCH
# The plugin, which install-cni puts on the node; and the installer itself.
COPY ${TARGETARCH}/istio-cni /opt/cni/bin/istio-cni
COPY ${TARGETARCH}/install-cni /usr/local/bin/install-cni
ENV PATH=$PATH:/opt/cni/bin
WORKDIR /opt/cni/bin
# Runs as root: it writes into the node's CNI folders.
ENTRYPOINT ["/usr/local/bin/install-cni"]
