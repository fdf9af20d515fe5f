import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { getAddress, toHex } from 'viem';
import { readDeployment } from '@tollgate/devchain';
import { bodyV2, signAuthorization } from '@tollgate/testing';

const USAGE = 'usage: npm run sample-payment -- --pay-to <0xaddress> [--amount <atomic units>] [--payer <index>] [--valid-for <seconds>]';

const HELP = `${USAGE}

Prints one x402 v2 /verify and /settle request body (exact scheme, EIP-3009) signed by a funded devchain payer.
Reads the devchain's deployment file (DEVCHAIN_FILE, default .devchain/deployment.json).

  --pay-to <0xaddress>   the merchant's payTo address (required); on the devchain, e.g.
                         node -p "require('./.devchain/deployment.json').payTo[0].address"
  --amount <units>       atomic units of the devchain token, 6 decimals (default 10000 = 0.01)
  --payer <index>        which devchain payer signs (default 0)
  --valid-for <seconds>  validBefore = now + this (default 300)
  -h, --help             this text

Example:
  npm run -s sample-payment -- --pay-to 0x… --amount 10000 > payment.json
`;

/**
 * `npm run sample-payment`: prints a `/verify` / `/settle` request body (x402 v2, exact scheme) signed by one
 * of the devchain's funded payers, for trying the API by hand. Reads DEVCHAIN_FILE (default
 * .devchain/deployment.json). Amount in atomic units of the devchain token (6 decimals).
 */
async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'pay-to': { type: 'string' },
        amount: { type: 'string', default: '10000' },
        payer: { type: 'string', default: '0' },
        'valid-for': { type: 'string', default: '300' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    // An unknown or incomplete flag is a usage error (64), not a failure of the tool.
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 64;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const payTo = values['pay-to'];
  if (!payTo || !/^0x[0-9a-fA-F]{40}$/.test(payTo) || !/^\d+$/.test(values.amount!) || !/^\d+$/.test(values.payer!) || !/^\d+$/.test(values['valid-for']!)) {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  // The one environment read of this dev tool, like `npm run devchain`'s own settings.
  const file = process.env.DEVCHAIN_FILE || '.devchain/deployment.json';
  const d = await readDeployment(file);
  const payer = d.payers[Number(values.payer)];
  if (!payer) {
    process.stderr.write(`--payer: the devchain has ${d.payers.length} payers (0-${d.payers.length - 1})\n`);
    return 64;
  }
  const amount = BigInt(values.amount!);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const payload = await signAuthorization(d, {
    payerKey: payer.privateKey,
    to: getAddress(payTo),
    value: amount,
    nonce: toHex(randomBytes(32)),
    validBefore: now + BigInt(values['valid-for']!),
  });
  process.stdout.write(`${JSON.stringify(bodyV2(d, payload, { payTo: getAddress(payTo), amount }))}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`sample-payment failed: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
