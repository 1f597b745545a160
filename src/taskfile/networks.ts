// Docker's own networks, which a task file may neither declare nor join by name: `host` shares the build
// host's network (its Redis, registry and API on 127.0.0.1), `bridge` is the daemon's shared default,
// `container:ID` joins another container's namespace, and `none` is taken by Docker, so a network of that
// name cannot be the run's own.

const RESERVED = /^(host|none|bridge|default|container:.*)$/i;

/** Why `name` cannot be a task file's network, or undefined when it can. */
export function reservedNetworkReason(name: string): string | undefined {
  if (!RESERVED.test(name)) return undefined;
  return `network ${name} is one of Docker's own networks (host, none, bridge, default, container:…), not one the run makes; declare a network of the task's own under networks`;
}
