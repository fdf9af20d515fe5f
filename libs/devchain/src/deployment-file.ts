import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { DevchainDeployment } from './deploy';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 0x-prefixed 20-byte hex address');
const privateKey = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'expected a 0x-prefixed 32-byte hex private key');
const account = z.object({ address, privateKey });
const base58 = z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{32,88}$/, 'expected a base58 string');
const svmAccount = z.object({ address: base58, secretKey: base58 });
const svmTokenHolder = svmAccount.extend({ tokenAccount: base58 });
const solanaSchema = z.object({
  network: z.string().regex(/^solana:[1-9A-HJ-NP-Za-km-z]{32}$/, 'expected a CAIP-2 id like solana:EtWT…'),
  v1Name: z.string().min(1),
  rpcUrl: z.string().url(),
  mint: z.object({ address: base58, decimals: z.number().int().min(0).max(255), tokenProgram: base58 }),
  feePayers: z.array(svmAccount),
  payers: z.array(svmTokenHolder),
  payTo: z.array(svmTokenHolder),
});

const deploymentSchema = z
  .object({
    network: z.string().regex(/^eip155:[0-9]+$/, 'expected a CAIP-2 id like eip155:31337'),
    chainId: z.number().int().positive(),
    rpcUrl: z.string().url(),
    token: z.object({
      address,
      name: z.string().min(1),
      version: z.string().min(1),
      symbol: z.string().min(1),
      decimals: z.number().int().min(0).max(255),
    }),
    multicall3: address,
    deployer: account,
    relayers: z.array(account),
    payers: z.array(account),
    payTo: z.array(account),
    deployedAt: z.string().datetime(),
    solana: solanaSchema.optional(),
  })
  .refine((d) => d.network === `eip155:${d.chainId}`, { message: 'network does not match chainId', path: ['network'] });

/**
 * Writes a deployment as pretty-printed JSON, creating parent directories.
 * The file is written to a temporary name and renamed into place, so a process
 * reading it concurrently (an API starting up) never sees half a file.
 *
 * Note: the file holds the devchain private keys. They derive from the public
 * anvil mnemonic, which is why writing them to disk is acceptable.
 *
 * @param path Target file; relative paths resolve against the current directory.
 */
export async function writeDeployment(path: string, deployment: DevchainDeployment): Promise<void> {
  const target = resolve(path);
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(deployment, null, 2)}\n`, 'utf8');
  await rename(tmp, target);
}

/**
 * Reads and validates a deployment file written by {@link writeDeployment}.
 *
 * @param path File to read; relative paths resolve against the current directory.
 * @throws Error naming the file when it is missing, unreadable, not JSON, or
 *   not a valid deployment (the message lists the offending fields).
 */
export async function readDeployment(path: string): Promise<DevchainDeployment> {
  const target = resolve(path);
  let text: string;
  try {
    text = await readFile(target, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(`Devchain deployment file ${target} does not exist; start the devchain first (npm run devchain)`);
    }
    throw new Error(`Devchain deployment file ${target} could not be read: ${(err as Error).message}`);
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`Devchain deployment file ${target} is not valid JSON: ${(err as Error).message}`);
  }

  const parsed = deploymentSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`Devchain deployment file ${target} is malformed: ${issues}`);
  }
  // The regexes above guarantee the `0x${string}` / `eip155:${number}` shapes
  // that zod cannot express as template literal types.
  return parsed.data as DevchainDeployment;
}
