/** Reads a sudo password from the terminal without echo; never from argv or the environment. */
import { createInterface } from 'node:readline';

export async function askPasswordOnTty(host: string, prompt: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) {
    // Scripts get a clear failure instead of a hang waiting for input that never comes.
    return undefined;
  }
  process.stderr.write(`${prompt} (${host}): `);
  const rl = createInterface({ input: process.stdin, terminal: true });
  // Swallow the echo: readline writes typed characters through _writeToOutput.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  try {
    const answer = await new Promise<string>((resolve) => rl.question('', resolve));
    return answer;
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
