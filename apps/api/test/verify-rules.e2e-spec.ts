import { createWalletClient, http, parseAbi } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { deployErc1271Wallet, devchainViemChain } from '@tollgate/devchain';
import { bodyV1, bodyV2, randomNonce, signAuthorization } from '@tollgate/testing';
import { executeOnChain, FacilitatorFixture, startFacilitator, waitMined } from '@tollgate/testing';

/**
 * One test per verify rule: a correctly signed payload that breaks exactly that rule gets HTTP 200,
 * `isValid: false` and that rule's reason code. Real anvil, real signatures, real Postgres.
 */
describe.each([
  ['with per-verify simulation', 'true'],
  ['with the cached domain-separator check instead', 'false'],
])('POST /verify rules %s', (_label, simulation) => {
  let f: FacilitatorFixture;
  const now = () => BigInt(Math.floor(Date.now() / 1000));

  beforeAll(async () => {
    f = await startFacilitator({ SETTLEMENT_WINDOW_SECONDS: '30', VERIFY_SIMULATION: simulation });
  });
  afterAll(() => f.stop());

  async function expectReason(body: unknown, reason: string) {
    const res = await f.verify(body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ isValid: false, invalidReason: reason });
    expect(typeof res.body.invalidMessage).toBe('string');
    return res;
  }

  it('accepts a valid v2 payment, names the payer and records it as verified', async () => {
    const body = await f.validBody();
    const res = await f.verify(body);
    expect(res.status).toBe(200);
    expect(res.body.isValid).toBe(true);
    expect(res.body.payer).toBe(f.api.chain.deployment.payers[0].address);
    expect(res.body.extensions.tollgate.reference).toMatch(/^pay_/);
    const rows = await f.api.db.query(`SELECT status, amount::text, payer FROM payments WHERE reference = $1`, [res.body.extensions.tollgate.reference]);
    expect(rows).toEqual([{ status: 'verified', amount: '10000', payer: f.api.chain.deployment.payers[0].address.toLowerCase() }]);
    const events = await f.api.db.query(`SELECT e.to_status FROM payments p CROSS JOIN LATERAL tollgate_payment_events(p.id) e WHERE p.reference = $1`, [res.body.extensions.tollgate.reference]);
    expect(events).toEqual([{ to_status: 'verified' }]);
  });

  it('a repeated verify of a merely verified authorization is a retry and stays valid', async () => {
    const body = await f.validBody();
    const first = await f.verify(body);
    const second = await f.verify(body);
    expect(second.body.isValid).toBe(true);
    expect(second.body.extensions.tollgate.reference).toBe(first.body.extensions.tollgate.reference);
  });

  it('accepts a valid v1 body (legacy network name, maxAmountRequired)', async () => {
    const d = f.api.chain.deployment;
    const payload = await signAuthorization(d, { payerKey: d.payers[1].privateKey, to: f.payTo, value: 5000n, nonce: randomNonce(f.rand) });
    const res = await f.verify(bodyV1(d, payload, { payTo: f.payTo, amount: 5000n, network: 'anvil' }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ isValid: true, payer: d.payers[1].address });
  });

  it('rejects a scheme other than exact in the payload', async () => {
    const body = await f.validBody();
    body.paymentPayload.accepted = { ...body.paymentPayload.accepted, scheme: 'upto' };
    await expectReason(body, 'invalid_exact_evm_scheme');
  });

  it('rejects requirements without the EIP-712 domain', async () => {
    const body = await f.validBody();
    body.paymentRequirements.extra = {};
    body.paymentPayload.accepted.extra = {};
    await expectReason(body, 'invalid_exact_evm_missing_eip712_domain');
  });

  it('rejects a payload network that differs from the requirements network', async () => {
    const body = await f.validBody();
    body.paymentPayload.accepted = { ...body.paymentPayload.accepted, network: 'eip155:8453' };
    await expectReason(body, 'invalid_exact_evm_network_mismatch');
  });

  it('rejects an EIP-712 name the token does not use (the USDC / "USD Coin" mix-up)', async () => {
    const body = await f.validBody();
    body.paymentRequirements.extra = { name: 'USDC', version: '2' };
    await expectReason(body, 'invalid_exact_evm_token_name_mismatch');
  });

  it('rejects a signature by someone other than `from`', async () => {
    const d = f.api.chain.deployment;
    const payload = await signAuthorization(d, { payerKey: d.payers[1].privateKey, from: d.payers[0].address, to: f.payTo, value: 10_000n, nonce: randomNonce(f.rand) });
    await expectReason(bodyV2(d, payload, { payTo: f.payTo, amount: 10_000n }), 'invalid_exact_evm_signature');
  });

  it('rejects an authorization to another recipient than payTo', async () => {
    const d = f.api.chain.deployment;
    const payload = await signAuthorization(d, { payerKey: d.payers[0].privateKey, to: d.payTo[1].address, value: 10_000n, nonce: randomNonce(f.rand) });
    await expectReason(bodyV2(d, payload, { payTo: f.payTo, amount: 10_000n }), 'invalid_exact_evm_recipient_mismatch');
  });

  it('rejects validBefore closer than 6 s', async () => {
    await expectReason(await f.validBody({ validBefore: now() + 3n }), 'invalid_exact_evm_payload_authorization_valid_before');
  });

  it('rejects validAfter in the future', async () => {
    await expectReason(await f.validBody({ validAfter: now() + 120n }), 'invalid_exact_evm_payload_authorization_valid_after');
  });

  it('rejects a value that differs from the required amount', async () => {
    const body = await f.validBody({ amount: 10_000n });
    body.paymentRequirements.amount = '10001';
    body.paymentPayload.accepted.amount = '10001';
    await expectReason(body, 'invalid_exact_evm_authorization_value');
  });

  it('rejects an authorization that expires inside the settlement window', async () => {
    await expectReason(await f.validBody({ validBefore: now() + 20n }), 'tollgate_valid_before_within_settlement_window');
  });

  it('rejects a nonce already used on chain', async () => {
    const body = await f.validBody();
    await executeOnChain(f.api, body);
    await expectReason(body, 'invalid_exact_evm_nonce_already_used');
  });

  it('rejects a payer without enough balance', async () => {
    await expectReason(await f.validBody({ payerKey: f.emptyPayer() }), 'invalid_exact_evm_insufficient_balance');
  });

  it('names a cancelled authorization as cancelled', async () => {
    const d = f.api.chain.deployment;
    const nonce = randomNonce(f.rand);
    const payer = privateKeyToAccount(d.payers[2].privateKey);
    const body = await f.validBody({ payerIndex: 2, nonce });
    // The payer cancels on chain (EIP-3009 cancelAuthorization), paying gas from a funded relayer key.
    const sig = await payer.signTypedData({
      domain: { name: d.token.name, version: d.token.version, chainId: d.chainId, verifyingContract: d.token.address },
      types: { CancelAuthorization: [{ name: 'authorizer', type: 'address' }, { name: 'nonce', type: 'bytes32' }] },
      primaryType: 'CancelAuthorization',
      message: { authorizer: payer.address, nonce },
    });
    const relayer = privateKeyToAccount(d.relayers[0].privateKey);
    const wallet = createWalletClient({ account: relayer, chain: devchainViemChain(d.chainId, d.rpcUrl), transport: http(d.rpcUrl) });
    const hash = await wallet.writeContract({
      address: d.token.address,
      abi: parseAbi(['function cancelAuthorization(address authorizer, bytes32 nonce, bytes signature)']),
      functionName: 'cancelAuthorization',
      args: [payer.address, nonce, sig],
    });
    await waitMined(f.api, hash);
    await expectReason(body, 'tollgate_authorization_cancelled');
  });

  it('rejects an asset the facilitator does not accept', async () => {
    const body = await f.validBody();
    body.paymentRequirements.asset = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';
    body.paymentPayload.accepted.asset = body.paymentRequirements.asset;
    await expectReason(body, 'tollgate_asset_not_supported');
  });

  it('rejects a payTo that belongs to no address of the calling merchant', async () => {
    const d = f.api.chain.deployment;
    const other = d.payTo[2].address;
    const payload = await signAuthorization(d, { payerKey: d.payers[0].privateKey, to: other, value: 10_000n, nonce: randomNonce(f.rand) });
    await expectReason(bodyV2(d, payload, { payTo: other, amount: 10_000n }), 'tollgate_pay_to_not_owned');
  });

  it('rejects an authorization already queued through Tollgate', async () => {
    const body = await f.validBody();
    expect((await f.settle(body)).body.success).toBe(true);
    await expectReason(body, 'tollgate_authorization_already_settled');
  });

  it('rejects an unknown x402Version and an unsupported scheme without a 5xx', async () => {
    const body = await f.validBody();
    await expectReason({ ...body, x402Version: 3 }, 'invalid_x402_version');
    const other = await f.validBody();
    other.paymentRequirements.scheme = 'upto';
    await expectReason(other, 'unsupported_scheme');
  });

  it('verifies a deployed ERC-1271 smart-wallet payer', async () => {
    const d = f.api.chain.deployment;
    const owner = d.payers[3];
    const wallet = await deployErc1271Wallet(d.rpcUrl, d, owner.address, { fundAtomic: 1_000_000n });
    const payload = await signAuthorization(d, { payerKey: owner.privateKey, from: wallet, to: f.payTo, value: 10_000n, nonce: randomNonce(f.rand) });
    const res = await f.verify(bodyV2(d, payload, { payTo: f.payTo, amount: 10_000n }));
    expect(res.body).toMatchObject({ isValid: true, payer: wallet });
    const forged = await signAuthorization(d, { payerKey: d.payers[4].privateKey, from: wallet, to: f.payTo, value: 10_000n, nonce: randomNonce(f.rand) });
    await expectReason(bodyV2(d, forged, { payTo: f.payTo, amount: 10_000n }), 'invalid_exact_evm_signature');
  });
});
