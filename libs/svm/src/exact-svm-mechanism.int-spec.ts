/// <reference path="../../devchain/src/svm/x402-svm-modules.d.ts" />
import { generateKeyPairSigner, getBase64Decoder, getBase64Encoder, type Address, type KeyPairSigner } from '@solana/kit';
import { getSetComputeUnitPriceInstruction } from '@solana-program/compute-budget';
import { TOKEN_PROGRAM_ADDRESS, findAssociatedTokenPda, getTransferCheckedInstruction, getTransferInstruction } from '@solana-program/token';
import { toFacilitatorSvmSigner } from '@x402/svm';
import { ExactSvmScheme as ReferenceFacilitator } from '@x402/svm/exact/facilitator';
import { startSvmDevchain, SVM_DEVCHAIN_DECIMALS, type SvmDevchain } from '@tollgate/devchain';
import { NetworkRegistry, parseFacilitatorRequest, SOLANA_NETWORKS, type NormalizedPayment, type PaymentRequirementsV2 } from '@tollgate/protocol';
import { ExactSvmMechanism } from './exact-svm-mechanism';
import { rpcChainReader } from './svm-chain-reader';
import { SvmReason } from './svm-reasons';
import { buildSvmPayment, memoInstruction, type SvmPaymentSpec } from './testing/svm-payment-builder';

// Both sides run with the same caps, so the capped rules (signer count, compute limit) are exercised too.
const LIMITS = { maxRequiredSignatures: 2, maxComputeUnits: 100_000 };
const WINDOW = 30;

/**
 * Every verify rule of `exact` on Solana against a real litesvm chain, each with a correctly signed payload
 * that breaks exactly that rule; the official `@x402/svm` facilitator verifies the same payloads and must
 * reach the same verdict (and reason) wherever its rules and Tollgate's coincide.
 */
describe('ExactSvmMechanism: verify rules, differential against @x402/svm', () => {
  let dev: SvmDevchain;
  let payer: KeyPairSigner;
  let poorPayer: KeyPairSigner;
  let mechanism: ExactSvmMechanism;
  let reference: ReferenceFacilitator;
  const registry = new NetworkRegistry(SOLANA_NETWORKS);

  beforeAll(async () => {
    dev = await startSvmDevchain({ payers: 2, feePayers: 2, merchants: 2 });
    payer = await dev.signer(dev.payers[0]);
    poorPayer = await dev.signer(dev.payers[1]);
    mechanism = new ExactSvmMechanism(
      [{ network: dev.network, reader: rpcChainReader(dev.url), assets: [dev.mint], feePayers: [dev.feePayers[0].address] }],
      registry,
      LIMITS,
    );
    const feePayer = await dev.signer(dev.feePayers[0]);
    reference = new ReferenceFacilitator(toFacilitatorSvmSigner(feePayer, { defaultRpcUrl: dev.url }), undefined, LIMITS);
  });
  afterAll(async () => {
    await dev?.stop();
  });

  function requirements(over: Partial<PaymentRequirementsV2> = {}): PaymentRequirementsV2 {
    return {
      scheme: 'exact',
      network: dev.network,
      asset: dev.mint,
      amount: '2500',
      payTo: dev.merchants[0].address,
      maxTimeoutSeconds: 60,
      extra: { feePayer: dev.feePayers[0].address },
      ...over,
    };
  }

  async function spec(over: Partial<SvmPaymentSpec> = {}): Promise<SvmPaymentSpec> {
    return {
      payer,
      feePayer: dev.feePayers[0].address,
      mint: dev.mint,
      payTo: dev.merchants[0].address,
      amount: 2500n,
      decimals: SVM_DEVCHAIN_DECIMALS,
      blockhash: dev.chain.latestBlockhash(),
      ...over,
    };
  }

  interface Case {
    req: PaymentRequirementsV2;
    accepted?: Partial<PaymentRequirementsV2>;
    transaction: string;
  }

  function normalized(c: Case): NormalizedPayment {
    const body = { x402Version: 2, paymentPayload: { x402Version: 2, accepted: { ...c.req, ...c.accepted }, payload: { transaction: c.transaction } }, paymentRequirements: c.req };
    const r = parseFacilitatorRequest(body, { networks: registry });
    if (r.kind !== 'ok') throw new Error(`parse: ${JSON.stringify(r)}`);
    return r.payment;
  }

  async function verdicts(c: Case) {
    const ours = await mechanism.verify(normalized(c), { network: dev.network, asset: dev.mint, settlementWindowSeconds: WINDOW, nowSeconds: BigInt(Math.floor(Date.now() / 1000)) });
    const theirs = await reference.verify({ x402Version: 2, accepted: { ...c.req, ...c.accepted }, payload: { transaction: c.transaction } } as never, c.req as never);
    return { ours, theirs };
  }

  async function expectRule(c: Case, reason: string): Promise<void> {
    const { ours, theirs } = await verdicts(c);
    expect(ours).toMatchObject({ isValid: false, reason });
    expect(theirs).toMatchObject({ isValid: false, invalidReason: reason });
  }

  it('a correct payment is valid on both sides; its claim names payer, message hash and blockhash deadline', async () => {
    const c = { req: requirements(), transaction: await buildSvmPayment(await spec()) };
    const { ours, theirs } = await verdicts(c);
    expect(theirs).toMatchObject({ isValid: true, payer: payer.address });
    if (!ours.isValid) throw new Error(`expected valid, got ${JSON.stringify(ours)}`);
    expect(ours.balance).toBe(1_000_000_000n);
    expect(ours.claim).toMatchObject({ payer: payer.address, payTo: dev.merchants[0].address, asset: dev.mint, value: 2500n, validAfter: 0n });
    expect(ours.claim.nonce).toMatch(/^0x[0-9a-f]{64}$/);
    expect(ours.claim.validBefore - BigInt(Math.floor(Date.now() / 1000))).toBeGreaterThanOrEqual(58n);
    // claimOf needs no I/O now that verify fixed the blockhash's deadline, and agrees with verify.
    expect(mechanism.claimOf(normalized(c))).toEqual(ours.claim);
  });

  it('1 scheme: the payload claims another scheme', async () => {
    await expectRule({ req: requirements(), accepted: { scheme: 'upto' }, transaction: await buildSvmPayment(await spec()) }, SvmReason.UnsupportedScheme);
  });

  it('2 network: the payload claims another network', async () => {
    await expectRule({ req: requirements(), accepted: { network: SOLANA_NETWORKS[0].network }, transaction: await buildSvmPayment(await spec()) }, SvmReason.NetworkMismatch);
  });

  it('3 fee payer: the requirements name none', async () => {
    await expectRule({ req: requirements({ extra: {} }), transaction: await buildSvmPayment(await spec()) }, SvmReason.MissingFeePayer);
  });

  it('4 fee payer: not one of the facilitator', async () => {
    const stranger = (await generateKeyPairSigner()).address;
    const req = requirements({ extra: { feePayer: stranger } });
    await expectRule({ req, transaction: await buildSvmPayment(await spec({ feePayer: stranger })) }, SvmReason.FeePayerNotManaged);
  });

  it('5 decode: the bytes are no transaction', async () => {
    const garbage = getBase64Decoder().decode(new Uint8Array(200).fill(7));
    await expectRule({ req: requirements(), transaction: garbage }, SvmReason.CouldNotBeDecoded);
  });

  it('6 signer count: a third required signer', async () => {
    const other = await generateKeyPairSigner();
    const tx = await buildSvmPayment(await spec({ extraSigners: [other], instructions: (d) => [...d.slice(0, 3), memoInstruction('x', [other])] }));
    await expectRule({ req: requirements(), transaction: tx }, SvmReason.ExcessiveSigners);
  });

  it('7 fee payer first: the transaction is paid by another key', async () => {
    await expectRule({ req: requirements(), transaction: await buildSvmPayment(await spec({ feePayer: dev.feePayers[1].address })) }, SvmReason.FeePayerMismatch);
  });

  it('8 signatures: the payer signature does not verify', async () => {
    const bytes = new Uint8Array(getBase64Encoder().encode(await buildSvmPayment(await spec())));
    bytes[1 + 64 + 10] ^= 0xff; // inside the second signature (the payer's)
    await expectRule({ req: requirements(), transaction: getBase64Decoder().decode(bytes) }, SvmReason.SignatureInvalid);
  });

  it('9 instruction count: eight instructions', async () => {
    const tx = await buildSvmPayment(await spec({ instructions: (d) => [...d, ...['a', 'b', 'c', 'd'].map((m) => memoInstruction(m))] }));
    await expectRule({ req: requirements(), transaction: tx }, SvmReason.InstructionsLength);
  });

  it('10 compute limit: the price instruction comes first', async () => {
    const tx = await buildSvmPayment(await spec({ instructions: (d, p) => [p.price, p.limit, p.transfer, d[3]] }));
    await expectRule({ req: requirements(), transaction: tx }, SvmReason.ComputeLimit);
  });

  it('10 compute limit: above the cap', async () => {
    await expectRule({ req: requirements(), transaction: await buildSvmPayment(await spec({ computeUnits: 200_000 })) }, SvmReason.ComputeLimitTooHigh);
  });

  it('11 compute price: a memo in its place', async () => {
    const tx = await buildSvmPayment(await spec({ instructions: (d, p) => [p.limit, memoInstruction('x'), p.transfer] }));
    await expectRule({ req: requirements(), transaction: tx }, SvmReason.ComputePrice);
  });

  it('11 compute price: above the cap', async () => {
    await expectRule({ req: requirements(), transaction: await buildSvmPayment(await spec({ microLamports: 5_000_001n })) }, SvmReason.ComputePriceTooHigh);
  });

  it('12 transfer: an unchecked Transfer', async () => {
    const [source] = await findAssociatedTokenPda({ mint: dev.mint, owner: payer.address, tokenProgram: TOKEN_PROGRAM_ADDRESS });
    const plain = getTransferInstruction({ source, destination: dev.merchants[0].tokenAccount, authority: payer, amount: 2500n });
    const tx = await buildSvmPayment(await spec({ instructions: (d, p) => [p.limit, p.price, plain, d[3]] }));
    await expectRule({ req: requirements(), transaction: tx }, SvmReason.NoTransfer);
  });

  it('13 authority: the fee payer would pay', async () => {
    const [source] = await findAssociatedTokenPda({ mint: dev.mint, owner: dev.feePayers[0].address, tokenProgram: TOKEN_PROGRAM_ADDRESS });
    const t = getTransferCheckedInstruction({ source, mint: dev.mint, destination: dev.merchants[0].tokenAccount, authority: dev.feePayers[0].address, amount: 2500n, decimals: 6 });
    const tx = await buildSvmPayment(await spec({ instructions: (d, p) => [p.limit, p.price, t, d[3]] }));
    await expectRule({ req: requirements(), transaction: tx }, SvmReason.FeePayerTransferring);
  });

  it('14 mint: another token', async () => {
    const otherMint = (await generateKeyPairSigner()).address;
    await expectRule({ req: requirements(), transaction: await buildSvmPayment(await spec({ mint: otherMint })) }, SvmReason.MintMismatch);
  });

  it('15 recipient: another owner', async () => {
    await expectRule({ req: requirements(), transaction: await buildSvmPayment(await spec({ payTo: dev.merchants[1].address })) }, SvmReason.RecipientMismatch);
  });

  it('16 amount: one unit more', async () => {
    await expectRule({ req: requirements(), transaction: await buildSvmPayment(await spec({ amount: 2501n })) }, SvmReason.AmountMismatch);
  });

  it('17 extra instructions: a fourth ComputeBudget instruction', async () => {
    const tx = await buildSvmPayment(await spec({ instructions: (d) => [...d.slice(0, 3), getSetComputeUnitPriceInstruction({ microLamports: 2n })] }));
    await expectRule({ req: requirements(), transaction: tx }, SvmReason.UnknownFourth);
  });

  it('18 memo: required but absent; present but different', async () => {
    const req = requirements({ extra: { feePayer: dev.feePayers[0].address, memo: 'order-17' } });
    await expectRule({ req, transaction: await buildSvmPayment(await spec({ instructions: (d) => d.slice(0, 3) })) }, SvmReason.MemoCount);
    await expectRule({ req, transaction: await buildSvmPayment(await spec({ memo: 'order-18' })) }, SvmReason.MemoMismatch);
  });

  it('19 simulation: the payer lacks the tokens', async () => {
    const req = requirements({ amount: '5000000000' });
    await expectRule({ req, transaction: await buildSvmPayment(await spec({ payer: poorPayer, amount: 5_000_000_000n })) }, SvmReason.SimulationFailed);
  });

  it("Tollgate's: a blockhash that dies within the settlement window (the reference accepts it)", async () => {
    // A fresh blockhash, then 140 of its 150 blocks pass: 10 blocks ≈ 4 s left, less than the 30 s window.
    dev.chain.expireBlockhash();
    const tx = await buildSvmPayment(await spec({ blockhash: dev.chain.latestBlockhash() }));
    dev.chain.advanceSlots(140n);
    const { ours, theirs } = await verdicts({ req: requirements(), transaction: tx });
    expect(ours).toMatchObject({ isValid: false, reason: SvmReason.BlockhashTooOld, payer: payer.address });
    expect(theirs).toMatchObject({ isValid: true });
  });

  it('fuzzed transactions (random bytes, bit flips of a valid one) always get a verdict, never an exception', async () => {
    dev.chain.expireBlockhash();
    const valid = new Uint8Array(getBase64Encoder().encode(await buildSvmPayment(await spec({ blockhash: dev.chain.latestBlockhash() }))));
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 150; i++) {
      const bytes = i % 3 === 0 ? Uint8Array.from({ length: 1 + rand(600) }, () => rand(256)) : Uint8Array.from(valid);
      if (i % 3 !== 0) for (let k = 0; k < 1 + rand(4); k++) bytes[rand(bytes.length)] ^= 1 << rand(8);
      const { ours } = await verdicts({ req: requirements(), transaction: getBase64Decoder().decode(bytes) });
      expect(typeof ours.isValid).toBe('boolean');
    }
  });

  it('static rules and claimOf need no chain, and claimOf stays undefined before any verify of the blockhash', async () => {
    dev.chain.expireBlockhash();
    const p = normalized({ req: requirements(), transaction: await buildSvmPayment(await spec({ blockhash: dev.chain.latestBlockhash() })) });
    const lane = { network: dev.network, asset: dev.mint, settlementWindowSeconds: WINDOW, nowSeconds: 0n };
    expect(mechanism.staticRules(p, lane)).toBeNull();
    expect(mechanism.claimOf(p)).toBeUndefined();
    expect(mechanism.supportedKinds(dev.network, 'solana-devnet', [dev.feePayers[0].address as Address])).toEqual([
      { x402Version: 2, scheme: 'exact', network: dev.network, extra: { feePayer: dev.feePayers[0].address } },
      { x402Version: 1, scheme: 'exact', network: 'solana-devnet', extra: { feePayer: dev.feePayers[0].address } },
    ]);
  });
});
