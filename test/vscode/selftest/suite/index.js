// Test entry the extension host loads (extensionTestsPath): it must export run() returning a
// promise that rejects when tests fail; VS Code turns that into the workbench's exit code.
const path = require('node:path');
const Mocha = require('mocha');
const { globSync } = require('glob');

async function run() {
  // No color option: run-suite.ts sets MOCHA_COLORS when its own stdout is a terminal.
  const mocha = new Mocha({ ui: 'tdd', timeout: 20_000 });
  for (const file of globSync('**/*.test.js', { cwd: __dirname, absolute: true }).sort()) {
    mocha.addFile(file);
  }
  const failures = await new Promise((resolve, reject) => {
    try {
      mocha.run(resolve);
    } catch (e) {
      reject(e);
    }
  });
  if (failures > 0) throw new Error(`${failures} test(s) failed`);
}

module.exports = { run };
