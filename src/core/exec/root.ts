/**
 * How a command gets root: a tiny fixed shell prelude with the real argv passed as "$@", so no
 * value is ever spliced into shell text. The password, when one is needed, only travels on stdin.
 */
import { randomBytes } from 'node:crypto';

/*
 * sudo resets the environment; SSH_CONNECTION is carried through `env` because the collector and
 * the connectivity guard need to know which address pair carries the session.
 */

/** Runs "$@" as root: directly when already root, else through `sudo -n` (never prompts). */
const REQUIRE_ROOT = 'if [ "$(id -u)" = 0 ]; then exec "$@"; fi; exec sudo -n -- env SSH_CONNECTION="$SSH_CONNECTION" "$@"';

/**
 * Runs "$@" as root when that needs no password, else as the login user. It prints nothing of
 * its own: an extra small write ahead of the command's output costs a whole network round trip
 * (sshd runs non-tty sessions with Nagle on). Commands that care ask `id -u` themselves.
 */
const ROOT_IF_AVAILABLE =
  'if [ "$(id -u)" = 0 ]; then exec "$@"; fi; ' +
  'if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then exec sudo -n -- env SSH_CONNECTION="$SSH_CONNECTION" "$@"; fi; ' +
  'exec "$@"';

/** sudo reading the password from stdin (-S), with our own prompt so we can strip it from stderr. */
const SUDO_WITH_PASSWORD = 'p=$1; shift; exec sudo -k -S -p "$p" -- env SSH_CONNECTION="$SSH_CONNECTION" "$@"';

/** Checks a password without running anything (sudo -v), so a wrong one never eats real input. */
const SUDO_VALIDATE = 'exec sudo -k -S -v -p "$1"';

export function requireRootArgv(argv: readonly string[]): string[] {
  return ['sh', '-c', REQUIRE_ROOT, 'virtnet-root', ...argv];
}

export function rootIfAvailableArgv(argv: readonly string[]): string[] {
  return ['sh', '-c', ROOT_IF_AVAILABLE, 'virtnet-root', ...argv];
}

export function sudoPasswordArgv(prompt: string, argv: readonly string[]): string[] {
  return ['sh', '-c', SUDO_WITH_PASSWORD, 'virtnet-sudo', prompt, ...argv];
}

export function sudoValidateArgv(prompt: string): string[] {
  return ['sh', '-c', SUDO_VALIDATE, 'virtnet-sudo', prompt];
}

/** A prompt no command output will contain, to strip sudo's prompt out of stderr. */
export function randomPrompt(): string {
  return `[virtnet-sudo-${randomBytes(8).toString('hex')}]`;
}

/** sudo's own words when it will not run without a password we did not give. */
export function sudoWantsPassword(exitCode: number | null, stderr: string): boolean {
  return exitCode === 1 && /sudo: (a password is required|a terminal is required)/.test(stderr);
}

export function sudoMissing(exitCode: number | null, stderr: string): boolean {
  return exitCode === 127 && /sudo: (command )?not found|sudo: No such file/.test(stderr);
}

export function stripPrompt(stderr: string, prompt: string): string {
  return stderr.split(prompt).join('');
}
