import { lookup as lookupCallback, type LookupAddress, type LookupOptions } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
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

/** Global unicast space (RFC 4291 §2.4): every IPv6 address outside it is reserved or special. */
const IPV6_GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

/**
 * True unless `ip` is a public unicast address a webhook may reach. Classified with `ipaddr.js`, whose
 * special ranges follow the IANA IPv4 and IPv6 special-purpose address registries:
 * - IPv4: only `unicast` passes — refused are this-network 0/8, private 10/8, 172.16/12, 192.168/16, shared
 *   100.64/10, loopback 127/8, link-local 169.254/16 (cloud metadata), IETF 192.0.0/24, documentation,
 *   benchmarking 198.18/15, 6to4 relay anycast, AS112, AMT, multicast, reserved 240/4 and broadcast.
 * - IPv6: only `unicast` inside 2000::/3 passes — refused are unspecified, loopback, IPv4-compatible (::/96,
 *   outside 2000::/3), IPv4-mapped, IPv4-translated, NAT64 (64:ff9b::/96 and local-use 64:ff9b:1::/48),
 *   discard-only, Teredo, benchmarking, AMT, AS112, ORCHID, drone tags, documentation (2001:db8::/32,
 *   3fff::/20), SRv6 SIDs, unique-local, site-local, link-local and multicast. Translated and tunnelled forms
 *   are refused whatever IPv4 address they carry (they can be routed to it by a gateway on the way), except
 *   6to4 (2002::/16), which is judged by the IPv4 address it embeds.
 * Anything that is not a strict IPv4/IPv6 literal is refused.
 */
export function isNonPublicAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 0) return true;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip);
  } catch {
    return true;
  }
  if (addr.kind() === 'ipv4') return (addr as ipaddr.IPv4).range() !== 'unicast';
  const v6 = addr as ipaddr.IPv6;
  const range = v6.range();
  if (range === '6to4') {
    const p = v6.parts;
    return isNonPublicAddress(`${p[1] >> 8}.${p[1] & 255}.${p[2] >> 8}.${p[2] & 255}`);
  }
  return range !== 'unicast' || !v6.match(IPV6_GLOBAL_UNICAST);
}

/** Host as compared with the allowlist: lower-case, IPv6 without brackets. */
function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
}

/**
 * Where webhooks may go: https everywhere except hosts on the development allowlist; no credentials in
 * the URL; and — checked against what the host resolves to, at registration and before every attempt —
 * no non-public destination (see {@link isNonPublicAddress}) unless configuration allows it. Redirects are never
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
   * connection (error code `EWEBHOOKADDRESS`) if any is not public (see {@link isNonPublicAddress}), unless such
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
          bad ? `${hostname} resolves to a non-public (private, loopback, link-local or special-purpose) address (${bad.address}) at connect time` : `${hostname} does not resolve`,
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
      if (bad) throw new WebhookUrlError(`resolves to a non-public (private, loopback, link-local or special-purpose) address (${bad})`);
    }
    return url;
  }
}
