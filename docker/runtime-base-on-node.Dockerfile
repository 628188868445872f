# The base of meshproof's runtime image on a Node image already present locally (e.g. node:24-slim),
# used instead of runtime-base.Dockerfile when one is found or named with MESHPROOF_DOCKER_BASE_IMAGE
# (meshproof never pulls). Its `node` must run meshproof's code: Node >= 22.19 (a clone's TypeScript
# sources: type stripping, Node >= 22.18).
#
# Build context (assembled by src/runtime/docker/runtime-image.ts):
#   deps/          meshproof's production dependencies, in the tree they have on this machine
ARG NODE_IMAGE
FROM ${NODE_IMAGE}
# First, so that every step's image carries it: a failed build's leftovers are found by label.
LABEL meshproof=1 meshproof.role=runtime-base
COPY deps/ /meshproof/
ENV NODE_COMPILE_CACHE=/tmp/node-compile-cache
WORKDIR /meshproof
USER 65534:65534
CMD ["node", "--version"]
