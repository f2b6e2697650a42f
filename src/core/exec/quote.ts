/**
 * The one audited place where argv becomes POSIX shell text. Everything that crosses the SSH
 * boundary (where OpenSSH joins its arguments with spaces and hands them to the remote login
 * shell) goes through `shJoin`; nothing else in VirtNet builds shell strings from values.
 */

/** Quotes one word for a POSIX shell: plain words stay readable, everything else is single-quoted. */
export function shQuote(word: string): string {
  if (word.includes('\0')) {
    // No shell can carry a NUL inside an argument; refusing is the only honest answer.
    throw new Error('argument contains a NUL byte and cannot be passed to a command');
  }
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) {
    return word;
  }
  // Inside single quotes nothing is special except the quote itself, closed and escaped as '\''.
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Joins argv into one shell command line whose words are exactly `argv` after shell parsing. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}
