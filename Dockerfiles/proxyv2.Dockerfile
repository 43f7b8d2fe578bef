# BASE_DISTRIBUTION picks the variant's base: debug (default) or distroless
ARG BASE_DISTRIBUTION=debug
FROM base AS debug
FROM distroless AS distroless
FROM ${BASE_DISTRIBUTION}
ARG TARGETARCH
# pilot-agent starts Envoy with this bootstrap (pilot-agent --bootstrap overrides it).
COPY envoy_bootstrap.json /var/lib/istio/envoy/envoy_bootstrap_tmpl.json
COPY ${TARGETARCH}/envoy /usr/local/bin/envoy
COPY ${TARGETARCH}/pilot-agent /usr/local/bin/pilot-agent
USER 1337:1337
ENTRYPOINT ["/usr/local/bin/pilot-agent"]
# Kubernetes passes the arguments; by default run as a sidecar.
CMD ["proxy", "sidecar"]
