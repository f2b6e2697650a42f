/**
 * The server half of `npm start` (scripts/start.sh runs it): the VS Code server on a fixed port
 * of 127.0.0.1, with VirtNet loaded as the extension under development, until Ctrl-C.
 *
 * Env: VIRTNET_PORT (default 8780). User data (settings, state) lives in .cache/start/ and
 * survives restarts, like a normal VS Code profile.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BASE_SETTINGS, REPO_ROOT, SERVER_MAIN, killTree } from '../test/vscode/server';

const port = Number(process.env.VIRTNET_PORT ?? 8780);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`VIRTNET_PORT must be a TCP port, got ${process.env.VIRTNET_PORT}`);
  process.exit(2);
}
const host = '127.0.0.1';
const authority = `${host}:${port}`;
const dataDir = path.join(REPO_ROOT, '.cache/start');
const userDataDir = path.join(dataDir, 'user-data');
const settingsFile = path.join(userDataDir, 'User/settings.json');

mkdirSync(path.dirname(settingsFile), { recursive: true });
// Written once: later edits made in the workbench's Settings editor are kept.
if (!existsSync(settingsFile)) writeFileSync(settingsFile, JSON.stringify(BASE_SETTINGS, null, 2));

const env: NodeJS.ProcessEnv = { ...process.env, EXTENSIONS_GALLERY: '{}' };
// Variables of a surrounding VS Code would make this extension host talk to that one.
for (const k of Object.keys(env)) if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];

const server = spawn(
  process.execPath,
  [
    SERVER_MAIN,
    '--host',
    host,
    '--port',
    String(port),
    '--without-connection-token', // bound to 127.0.0.1 only
    '--accept-server-license-terms',
    '--telemetry-level',
    'off',
    '--user-data-dir',
    userDataDir,
    '--server-data-dir',
    path.join(dataDir, 'server-data'),
    '--extensions-dir',
    path.join(dataDir, 'extensions'),
  ],
  // Own process group: Ctrl-C reaches only us, and we stop the server's whole tree in order.
  { env, cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
);

// The server ignores --extensionDevelopmentPath; the web workbench reads it from the URL.
const q = new URLSearchParams({
  folder: REPO_ROOT,
  payload: JSON.stringify([['extensionDevelopmentPath', `vscode-remote://${authority}${REPO_ROOT}`]]),
});
const url = `http://${authority}/?${q.toString()}`;

let listening = false;
let stopping = false;
for (const stream of [server.stdout!, server.stderr!]) {
  let rest = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop()!;
    for (const line of lines) {
      if (process.env.VIRTNET_START_VERBOSE) console.error(line);
      if (/EADDRINUSE|address already in use/i.test(line)) {
        console.error(`port ${port} is in use: set VIRTNET_PORT to another port`);
      }
      if (!listening && line.includes(`Extension host agent listening on ${port}`)) {
        listening = true;
        console.log(`VirtNet in the VS Code server 1.100.3: open\n\n  ${url}\n`);
        console.log(`From another machine: ssh -L ${port}:127.0.0.1:${port} <this host>, then open the URL there.`);
        console.log('Ctrl-C stops the server.');
      }
    }
  });
}

server.on('exit', (code, signal) => {
  if (stopping) return;
  console.error(`VS Code server exited (code ${code}, signal ${signal})${listening ? '' : ' before listening'}`);
  process.exit(code || 1);
});

const stop = async (sig: string) => {
  if (stopping) return;
  stopping = true;
  console.error(`\n${sig}: stopping the VS Code server (pid ${server.pid})`);
  await killTree(server.pid!);
  process.exit(0);
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => void stop(sig));
