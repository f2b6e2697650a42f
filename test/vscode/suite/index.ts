/**
 * Entry the extension host loads (extensionTestsPath): runs every compiled `*.test.js` beside it
 * with mocha and rejects when a test failed, which becomes the runner's exit code.
 */
import path from 'node:path';
import { globSync } from 'glob';
import Mocha from 'mocha';

export async function run(): Promise<void> {
  // Lab tests make real SSH round trips; 60 s covers a cold connection plus the collector.
  const mocha = new Mocha({ ui: 'tdd', timeout: 60_000 });
  for (const file of globSync('*.test.js', { cwd: __dirname, absolute: true }).sort()) {
    mocha.addFile(path.resolve(file));
  }
  const failures = await new Promise<number>((resolve, reject) => {
    try {
      mocha.run(resolve);
    } catch (err) {
      reject(err);
    }
  });
  if (failures > 0) throw new Error(`${failures} test(s) failed`);
}
