import net from 'node:net';

/** Names a browser on this machine uses for a loopback server. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** `host` as it appears in a Host header: IPv6 addresses in brackets, lower case. */
function headerForm(host: string): string {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return net.isIPv6(bare) ? `[${bare}]` : bare;
}

/**
 * A check of the `Host` header against DNS rebinding: a page on attacker.example that resolves
 * its name to 127.0.0.1 reaches a loopback server, but its requests carry `Host:
 * attacker.example`. Allowed: localhost, 127.0.0.1, [::1], the host the server listens on and
 * any `extra` names, each bare or with the server's port. A missing header is refused.
 */
export function hostAllowList(
  listenHost: string,
  port: () => number,
  extra: readonly string[] = [],
): (header: string | undefined) => boolean {
  const names = new Set([...LOOPBACK_NAMES, listenHost, ...extra].map(headerForm));
  return (header) => {
    if (header === undefined) return false;
    const value = header.trim().toLowerCase();
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(value);
    if (!match) return false;
    const [, name, portText] = match;
    if (portText !== undefined && Number(portText) !== port()) return false;
    return names.has(headerForm(name as string));
  };
}
