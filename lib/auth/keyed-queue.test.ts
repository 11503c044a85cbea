import { describe, expect, it } from 'vitest';
import { KeyedQueue } from './keyed-queue';

const tick = () => new Promise((r) => setTimeout(r, 1));

describe('KeyedQueue', () => {
  it('ok/runs tasks on one key one at a time, in arrival order', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const task = (name: string) => async () => {
      running++;
      most = Math.max(most, running);
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all(['a', 'b', 'c'].map((n) => q.run(['user:x'], task(n))));
    expect(results).toEqual(['a', 'b', 'c']);
    expect(most).toBe(1);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(q.size).toBe(0);
  });

  it('ok/lets tasks on different keys run together', async () => {
    const q = new KeyedQueue();
    let running = 0;
    let most = 0;
    const task = async () => {
      running++;
      most = Math.max(most, running);
      await tick();
      running--;
    };
    await Promise.all([q.run(['user:a', 'ip:1'], task), q.run(['user:b', 'ip:2'], task)]);
    expect(most).toBe(2);
  });

  it('ok/a task naming two keys waits for both queues', async () => {
    const q = new KeyedQueue();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`start ${name}`);
      await tick();
      log.push(`end ${name}`);
    };
    await Promise.all([q.run(['user:a', 'ip:1'], task('1')), q.run(['user:b', 'ip:1'], task('2')), q.run(['user:a', 'ip:2'], task('3'))]);
    // 2 shares ip:1 with 1 and 3 shares user:a with 1: both wait for 1; 2 and 3 share nothing.
    expect(log.slice(0, 2)).toEqual(['start 1', 'end 1']);
    expect(log.slice(2, 4).sort()).toEqual(['start 2', 'start 3']);
  });

  it('ok/crossed key orders do not deadlock', async () => {
    const q = new KeyedQueue();
    const done = await Promise.all([q.run(['a', 'b'], async () => 1), q.run(['b', 'a'], async () => 2), q.run(['a'], async () => 3), q.run(['b', 'b'], async () => 4)]);
    expect(done).toEqual([1, 2, 3, 4]);
  });

  it('err/a failing task frees its keys and the next one runs', async () => {
    const q = new KeyedQueue();
    const failed = q.run(['k'], async () => {
      await tick();
      throw new Error('boom');
    });
    const next = q.run(['k'], async () => 'next');
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe('next');
    expect(q.size).toBe(0);
  });
});
