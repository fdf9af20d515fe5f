#!/usr/bin/env node
// Adds lock entries for other platforms' optional binary packages (anvil, msgpackr-extract, …).
//
// Why: a registry mirror that only carries this machine's platform answers 404 for the others, so
// `npm install` writes a lock without them, and `npm ci` then refuses the lock as out of sync with
// package.json — on every machine. The entries need only version, os and cpu: npm skips them on other
// platforms and fetches them by version where they apply. Run after `npm install` changes the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const OS = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openbsd', 'sunos', 'aix', 'netbsd'];
const CPU = [['arm64', 'arm64'], ['aarch64', 'arm64'], ['amd64', 'x64'], ['x64', 'x64'], ['ia32', 'ia32'], ['-arm', 'arm'], ['s390x', 's390x'], ['ppc64', 'ppc64'], ['riscv64', 'riscv64']];
const added = [];
for (const [where, meta] of Object.entries(packages)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = where ? `${where}/node_modules/${dep}` : `node_modules/${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (packages[nested] || packages[hoisted]) continue;
    const leaf = dep.split('/').pop();
    const os = OS.find((o) => leaf.includes(o));
    const cpu = CPU.find(([pattern]) => leaf.includes(pattern))?.[1];
    if (!os && !cpu) throw new Error(`cannot tell the platform of optional dependency ${dep}; add its lock entry by hand`);
    if (!/^\d+\.\d+\.\d+/.test(version)) throw new Error(`${dep}@${version} is not an exact version`);
    const entry = { version, optional: true, ...(cpu ? { cpu: [cpu] } : {}), ...(os ? { os: [os] } : {}) };
    if (os === 'linux' && leaf.includes('musl')) entry.libc = ['musl'];
    packages[hoisted] = entry;
    added.push(`${dep}@${version}`);
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length} lock entries:\n  ${added.join('\n  ')}` : 'lock already complete');
