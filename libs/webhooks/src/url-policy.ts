import { lookup as lookupCallback, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { Agent, type Dispatcher } from 'undici';

/** Raised when a webhook URL may not be used; `message` says why in one line (safe to show the merchant). */
export class WebhookUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookUrlError';
  }
}

export interface WebhookUrlPolicyOptions {
  /** Lower-case host names (or IP literals) that may use plain http. */
  httpAllowlist: readonly string[];
  /** Allow private, loopback and link-local destinations. */
  allowPrivateAddresses: boolean;
  /** Resolver returning every address of a host (default: `dns.lookup(host, { all: true })`). */
  resolve?: (host: string) => Promise<string[]>;
}

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Destinations a webhook must never reach unless explicitly allowed: loopback, private, link-local (cloud
 * metadata lives there), carrier-grade NAT, unspecified, multicast, documentation and reserved ranges.
 */
const NON_PUBLIC = (() => {
  const b = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.88.99.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const) {
    b.addSubnet(net, prefix, 'ipv4');
  }
  for (const [net, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['100::', 64],
    ['2001:db8::', 32],
    ['fc00::', 7],
    ['fe80::', 10],
    ['fec0::', 10],
    ['ff00::', 8],
  ] as const) {
    b.addSubnet(net, prefix, 'ipv6');
  }
  return b;
})();

/** The IPv4 address an IPv6 address embeds (IPv4-mapped, NAT64 well-known prefix, 6to4), if any. */
function embeddedIpv4(ip: string): string | null {
  const lower = ip.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  const sixToFour = /^2002:([0-9a-f]{1,4}):([0-9a-f]{1,4}):/.exec(lower);
  if (sixToFour) {
    const hi = parseInt(sixToFour[1], 16);
    const lo = parseInt(sixToFour[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return null;
}

/** True for loopback, private, link-local and other addresses that are not public unicast. */
export function isNonPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return NON_PUBLIC.check(ip, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(ip);
    if (v4 && isIP(v4) === 4) return NON_PUBLIC.check(v4, 'ipv4');
    return NON_PUBLIC.check(ip, 'ipv6');
  }
  return true; // not an address at all: refuse
}

/** Host as compared with the allowlist: lower-case, IPv6 without brackets. */
function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
}

/**
 * Where webhooks may go: https everywhere except hosts on the development allowlist; no credentials in
 * the URL; and — checked against what the host resolves to, at registration and before every attempt —
 * no private, loopback or link-local destination unless configuration allows it. Redirects are never
 * followed (the sender treats any 3xx as a failed attempt), so a public URL cannot bounce inwards.
 *
 * DNS rebinding (a host answering a public address to the check and a private one to the connection) is
 * closed by {@link dispatcher}: the sender connects through it, and it applies the same rule to the very
 * addresses the socket is about to connect to.
 */
export class WebhookUrlPolicy {
  private readonly allowlist: Set<string>;
  private readonly resolveHost: (host: string) => Promise<string[]>;

  /**
   * HTTP dispatcher (undici) whose connections resolve their host through {@link guardedLookup}: what the
   * socket connects to is what was checked. Pass it to every webhook request.
   */
  readonly dispatcher: Dispatcher;

  constructor(private readonly opts: WebhookUrlPolicyOptions) {
    this.allowlist = new Set(opts.httpAllowlist.map((h) => h.toLowerCase().replace(/^\[|\]$/g, '')));
    this.resolveHost = opts.resolve ?? (async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address));
    this.dispatcher = new Agent({ connect: { lookup: this.guardedLookup } });
  }

  /**
   * `dns.lookup` for outgoing webhook sockets: resolves every address of the host and fails the
   * connection (error code `EWEBHOOKADDRESS`) if any is private, loopback or link-local, unless such
   * destinations are allowed. IP-literal hosts never reach a lookup; {@link check} has judged them.
   */
  readonly guardedLookup = (
    hostname: string,
    options: LookupOptions,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    lookupCallback(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, []);
      const bad = this.opts.allowPrivateAddresses ? undefined : addresses.find((a) => isNonPublicAddress(a.address));
      if (bad || addresses.length === 0) {
        const refused: NodeJS.ErrnoException = new Error(
          bad ? `${hostname} resolves to a private, loopback or link-local address (${bad.address}) at connect time` : `${hostname} does not resolve`,
        );
        refused.code = bad ? 'EWEBHOOKADDRESS' : 'ENOTFOUND';
        return callback(refused, []);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };

  /**
   * Syntax and scheme rules (no network).
   * @returns the parsed URL.
   * @throws WebhookUrlError naming the rule broken.
   */
  checkSyntax(raw: string): URL {
    if (raw.length > MAX_WEBHOOK_URL_LENGTH) throw new WebhookUrlError(`must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new WebhookUrlError('is not an absolute URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookUrlError('must use https');
    if (url.username || url.password) throw new WebhookUrlError('must not carry credentials');
    if (url.hash) throw new WebhookUrlError('must not have a fragment');
    const host = hostOf(url);
    if (!host) throw new WebhookUrlError('must name a host');
    if (url.protocol === 'http:' && !this.allowlist.has(host)) {
      throw new WebhookUrlError(`must use https (plain http only for allowlisted development hosts)`);
    }
    return url;
  }

  /**
   * {@link checkSyntax}, then resolves the host and refuses non-public destinations unless allowed.
   * @throws WebhookUrlError when the URL breaks a rule or the host does not resolve.
   */
  async check(raw: string): Promise<URL> {
    const url = this.checkSyntax(raw);
    const host = hostOf(url);
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : await this.resolveHost(host);
    } catch (e) {
      throw new WebhookUrlError(`host ${host} does not resolve (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (addresses.length === 0) throw new WebhookUrlError(`host ${host} does not resolve`);
    if (!this.opts.allowPrivateAddresses) {
      const bad = addresses.find(isNonPublicAddress);
      if (bad) throw new WebhookUrlError(`resolves to a private, loopback or link-local address (${bad})`);
    }
    return url;
  }
}
