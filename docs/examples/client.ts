// A paying client: the official @x402/fetch wrapper pays 402 answers with a devchain payer's key.
// Run: npx ts-node -T docs/examples/client.ts http://127.0.0.1:4402/weather
import { readFileSync } from 'node:fs';
import { decodePaymentResponseHeader } from '@x402/core/http';
import { ExactEvmScheme } from '@x402/evm/exact/client';
import { wrapFetchWithPayment, x402Client } from '@x402/fetch';
import { privateKeyToAccount } from 'viem/accounts';

async function main(url: string): Promise<void> {
  // The devchain's funded payers and its token (on a real network: your own key, and USDC needs no entry).
  const devchain = JSON.parse(readFileSync(process.env.DEVCHAIN_FILE ?? '.devchain/deployment.json', 'utf8'));
  const payer = privateKeyToAccount(process.env.PAYER_KEY ?? devchain.payers[0].privateKey);

  const client = x402Client.fromConfig({
    schemes: [{ network: devchain.network, client: new ExactEvmScheme(payer) }],
    // The client pays only in assets it knows (USDC) unless told: allow the devchain token, with a cap
    // per payment in atomic units (10000 = 0.01 token).
    spendControls: { allowedAssets: [{ network: devchain.network, asset: devchain.token.address, maxAmountPerPayment: '10000' }] },
  });
  const paidFetch = wrapFetchWithPayment(fetch, client);

  const res = await paidFetch(url);
  console.log(res.status, await res.text());
  const header = res.headers.get('PAYMENT-RESPONSE');
  if (header) {
    // Deferred settlement answers at once with an empty `transaction`; Tollgate's reference follows the payment.
    const receipt = decodePaymentResponseHeader(header);
    const tollgate = (receipt.extensions as { tollgate?: { reference: string; status: string } } | undefined)?.tollgate;
    console.log(`paid by ${receipt.payer}: reference ${tollgate?.reference} (${tollgate?.status})`);
  }
}

main(process.argv[2] ?? 'http://127.0.0.1:4402/weather').catch((e) => {
  console.error(e);
  process.exit(1);
});
