# The FROM scratch container image: the static binary, a static stand-in
# server and the container registry, nothing else (no shell, no libc).
#
#   make image                 build it as an OCI image archive without any
#                              container daemon: build/imageserving-oci.tar
#                              (tools/mkimage.sh reads this file for the
#                              entrypoint, stop signal, health check and env)
#   docker build -t imageserving .    the same with Docker, after `make image`
#                              (which lays out build/image/rootfs)
#
# The supervisor runs as PID 1: it reaps every orphan, turns the runtime's
# SIGTERM into a clean stop within the registry's shutdownTimeout (8 s, inside
# docker stop's default 10 s) and exits 0. Replace the stand-ins in
# /opt/imageserving/conf/SupervisorRegistry.xml with the real servers (and
# their runtime) in an image built FROM this one.
FROM scratch
COPY build/image/rootfs/ /
ENV PATH=/opt/imageserving/bin
ENTRYPOINT ["/opt/imageserving/bin/imageserving", "supervisor", "-f"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/opt/imageserving/bin/imageserving", "status"]
