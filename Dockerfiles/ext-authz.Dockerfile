# The sample external authorizer: checks on 8000 and on 9000 (Istio's gRPC check port; the sample answers HTTP on both).
FROM scratch
ARG TARGETARCH
COPY ${TARGETARCH}/extauthz /usr/local/bin/extauthz
USER 1337:1337
EXPOSE 9000 8000
ENTRYPOINT ["/usr/local/bin/extauthz"]
