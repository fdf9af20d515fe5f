/**
 * What went wrong inside `@tollgate/protocol`, as a closed set so callers can switch on it:
 * - `header_decode`: a payment header was not standard base64 of UTF-8 JSON (see {@link HeaderDecodeError}).
 * - `network_registry`: a network entry was inconsistent or clashed with an existing one.
 * - `asset_registry`: an asset entry was inconsistent or clashed with an existing one.
 * - `decimal_format`: a human decimal amount could not be converted to atomic units without loss.
 */
export type ProtocolErrorCode = 'header_decode' | 'network_registry' | 'asset_registry' | 'decimal_format';

/**
 * The one exception class of this library. Request parsing never throws (it returns a result);
 * only programmer-facing helpers (registries, codecs, decimal conversion) do.
 */
export class ProtocolError extends Error {
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
