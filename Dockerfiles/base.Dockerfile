# The "debug" base of the mesh images (Istio's plain tag), built FROM scratch so
# that nothing has to be pulled. Build context: etc/passwd, etc/group and the
# etc/istio/ folder (from Dockerfiles/base/).
FROM scratch
LABEL org.opencontainers.image.title="base" \
      org.opencontainers.image.description="Debug base of the mesh images: users, groups and Istio's folders"
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY etc/passwd etc/group /etc/
COPY etc/istio/ /etc/istio/
# Creates the proxy's state folder, then leaves the working directory at /.
WORKDIR /var/lib/istio
WORKDIR /
