# The "distroless" base of the mesh images (Istio's -distroless tag): only the
# users and groups. Built FROM scratch, so nothing has to be pulled. Build
# context: etc/passwd and etc/group (from Dockerfiles/base/).
FROM scratch
LABEL org.opencontainers.image.title="distroless" \
      org.opencontainers.image.description="Minimal base of the mesh images: users and groups only"
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY etc/passwd etc/group /etc/
