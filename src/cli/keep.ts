/**
 * "Press Enter to keep it", as `netplan try` asks: the confirmation of a guarded change made on
 * the host the CLI runs on. The prompt and the Enter both travel over the user's own session, so
 * an answer proves that session survived the change; no answer lets the host roll back.
 */
import { createInterface } from 'node:readline';
import type { Confirm } from '../core/ops/confirmed';

export const keepOnEnter: Confirm = (left) =>
  new Promise<void>((resolve, reject) => {
    // Give up a little before the host's deadline, so the guard stops asking in time.
    const ms = Math.max(1000, left - 2500);
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const timer = setTimeout(() => {
      rl.close();
      process.stderr.write('\n');
      reject(new Error(`no Enter within ${Math.round(ms / 1000)} s`));
    }, ms);
    rl.question(`virtnet: applied. Press Enter within ${Math.round(ms / 1000)} s to keep it; otherwise the host rolls it back: `, () => {
      clearTimeout(timer);
      rl.close();
      resolve();
    });
  });
