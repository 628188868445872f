# meshproof's runtime image: the base (runtime-base.Dockerfile or runtime-base-on-node.Dockerfile)
# plus the project's sources. Every meshproof container runs it: sidecars, the built-in app, the
# fault engine. Tagged meshproof-runtime:<hash of the base and the sources>.
#
# Build context (assembled by src/runtime/docker/runtime-image.ts):
#   app/  package.json and src/
ARG BASE
FROM ${BASE}
LABEL meshproof=1 meshproof.role=runtime-image
COPY app/ /meshproof/
# Node's compile cache of the sources, in the image: containers start without compiling them again
# (exec form: a FROM-scratch image may have no shell).
RUN ["node", "--disable-warning=ExperimentalWarning", "src/runtime/docker/entry/warm-compile-cache.ts"]
