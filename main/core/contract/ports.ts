/**
 * Each protocol's default server port, written once: the contract's request
 * schemas default to it, the core parses `HOST[:PORT]` with it (host-port.ts),
 * and the CLI help and the renderer's pairing wizards show it. No imports, so
 * the sandboxed renderer may import it as a value without bundling zod.
 */

/** icinga2.md §2: one TCP port carries the cluster protocol and the REST API. */
export const ICINGA_DEFAULT_PORT = 5665;

/** tentacle.md §1: IANA-registered. */
export const TENTACLE_DEFAULT_PORT = 41121;

/** gorgone.md §1: the central's external_com_path, `*:5556` in the Centreon procedure. */
export const GORGONE_DEFAULT_PORT = 5556;

/** onsphere.md §1.2: the configuration dispatcher (DISPATCHER_PORT). */
export const ONSPHERE_DISPATCHER_PORT = 10000;
