# meshproof's runtime image: the base (runtime-base.Dockerfile or runtime-base-on-node.Dockerfile)
# plus meshproof's code. Every meshproof container runs it: sidecars, the built-in app, the
# fault engine. Tagged meshproof-runtime:<hash of the base and the code>.
#
# Build context (assembled by src/runtime/docker/runtime-image.ts):
#   app/  package.json and the code: src/ (a clone, TypeScript) or dist/ (an installed package)
# APP_DIR is meshproof's folder under /meshproof in the tree of its dependencies (`.` in a clone,
# e.g. node_modules/meshproof in a project), so that Node finds them as it does on this machine.
# {{WARM_COMPILE_CACHE}} is replaced with the warm-up module's path before the build: RUN's exec
# form takes no build arguments, and a FROM-scratch image may have no shell.
ARG BASE
FROM ${BASE}
LABEL meshproof=1 meshproof.role=runtime-image
ARG APP_DIR=.
COPY app/ /meshproof/${APP_DIR}/
WORKDIR /meshproof/${APP_DIR}
# Node's compile cache of the code, in the image: containers start without compiling it again.
RUN ["node", "--disable-warning=ExperimentalWarning", "{{WARM_COMPILE_CACHE}}"]
