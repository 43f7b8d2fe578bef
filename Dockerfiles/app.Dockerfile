# The echo test application: server answers on 8080, client calls other apps.
FROM scratch
ARG TARGETARCH
COPY ${TARGETARCH}/client /usr/local/bin/client
COPY ${TARGETARCH}/server /usr/local/bin/server
USER 1337:1337
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/server"]
