# The base of meshproof's runtime image, FROM scratch: no registry is needed to build it.
#
# Its build context is assembled by src/runtime/docker/runtime-image.ts:
#   rootfs/        the local Node binary (usr/local/bin/node), the shared libraries `ldd` lists for it
#                  and their loader, a static busybox with its applets (a shell for `docker exec`),
#                  /tmp, /etc/nsswitch.conf, /etc/passwd and /etc/group
#   deps/          meshproof's production dependencies, in the tree they have on this machine (in a
#                  clone node_modules/…; in a project where meshproof is installed, the part of its
#                  node_modules that meshproof needs), copied to /meshproof
# Tagged meshproof-runtime-base:<hash of those inputs>; runtime.Dockerfile adds the sources on top,
# so a change of the sources rebuilds only that small layer.
FROM scratch
# First, so that every step's image carries it: a failed build's leftovers are found by label.
LABEL meshproof=1 meshproof.role=runtime-base
COPY rootfs/ /
COPY deps/ /meshproof/
ENV PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
    NODE_COMPILE_CACHE=/tmp/node-compile-cache
WORKDIR /meshproof
# Nothing in a pod needs root: every port is above 1024 and only /tmp is written.
USER 65534:65534
CMD ["node", "--version"]
