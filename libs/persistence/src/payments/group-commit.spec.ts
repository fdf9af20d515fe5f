import { GroupCommit } from './group-commit';

const turn = () => new Promise<void>((r) => setImmediate(r));

/** The scheduling half of group commit, without a database: who shares a flush, and what a failure touches. */
describe('GroupCommit', () => {
  function recorder(maxInFlight: number, maxBatch: number) {
    const flushes: number[][] = [];
    const gates: Array<() => void> = [];
    const gc = new GroupCommit<number, number>(
      async (calls) => {
        flushes.push(calls);
        await new Promise<void>((r) => gates.push(r));
        return calls.map((c) => (c < 0 ? new Error(`bad ${c}`) : c * 10));
      },
      maxInFlight,
      maxBatch,
    );
    return { gc, flushes, gates };
  }

  it('one turn is one flush; calls arriving while the limit is in flight wait and share the next flush', async () => {
    const { gc, flushes, gates } = recorder(1, 100);
    const first = [gc.load(1), gc.load(2)];
    await turn();
    expect(flushes).toEqual([[1, 2]]);
    // Five more, one per turn, while the first flush runs: none goes out on its own.
    const later: Array<Promise<number>> = [];
    for (let i = 3; i <= 7; i++) {
      later.push(gc.load(i));
      await turn();
    }
    expect(flushes).toHaveLength(1);
    expect(gc.pending).toBe(5);
    gates.shift()!();
    expect(await Promise.all(first)).toEqual([10, 20]);
    await turn();
    expect(flushes).toEqual([[1, 2], [3, 4, 5, 6, 7]]);
    gates.shift()!();
    expect(await Promise.all(later)).toEqual([30, 40, 50, 60, 70]);
  });

  it('with nothing in flight a call goes out on the next turn; batches are capped; several may run at once', async () => {
    const { gc, flushes, gates } = recorder(2, 3);
    const all = [1, 2, 3, 4, 5, 6, 7].map((c) => gc.load(c));
    await turn();
    expect(flushes).toEqual([[1, 2, 3], [4, 5, 6]]);
    gates.shift()!();
    await turn();
    await turn();
    expect(flushes).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    gates.splice(0).forEach((g) => g());
    expect(await Promise.all(all)).toEqual([10, 20, 30, 40, 50, 60, 70]);
  });

  it("an Error answer rejects only its call; a failed flush rejects its calls and the next flush still runs", async () => {
    const { gc, gates } = recorder(1, 10);
    const [good, bad] = [gc.load(1), gc.load(-1)];
    await turn();
    gates.shift()!();
    await expect(good).resolves.toBe(10);
    await expect(bad).rejects.toThrow('bad -1');

    let fail = true;
    const flaky = new GroupCommit<number, number>(async (calls) => {
      if (fail) {
        fail = false;
        throw new Error('statement failed');
      }
      return calls;
    }, 1, 10);
    const a = flaky.load(1);
    const b = flaky.load(2);
    await expect(a).rejects.toThrow('statement failed');
    await expect(b).rejects.toThrow('statement failed');
    await expect(flaky.load(3)).resolves.toBe(3);
  });
});
