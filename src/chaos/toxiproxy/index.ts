/** meshproof's Toxiproxy-compatible fault engine: the server, its standalone command, and its version. */
export { startToxiproxyServer, ToxiproxyEngine, type StartedToxiproxyServer, type ToxiproxyServerOptions } from './toxiproxy-server.ts';
export { runToxiproxyCommand, type CommandIo } from './main.ts';
export { ENGINE_VERSION, TOXIPROXY_COMPATIBLE_VERSION } from './version.ts';
export { TOXIC_TYPES } from './toxics/toxic-factory.ts';
export type { ToxicType } from './toxics/toxic.ts';
