/** The Toxiproxy release whose HTTP API and toxic semantics this engine follows. */
export const TOXIPROXY_COMPATIBLE_VERSION = '2.12.0';

/**
What `GET /version` reports. A semver pre-release of the compatible version, so a client that only
checks the major version (2.x) accepts it and a person can tell it is not the Go server.
*/
export const ENGINE_VERSION = `${TOXIPROXY_COMPATIBLE_VERSION}-meshproof`;
