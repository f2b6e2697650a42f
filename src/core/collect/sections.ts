/**
 * Splits the collector's single output into its named sections. Markers carry a per-run nonce,
 * so no command output can forge or end a section.
 */

export interface Section {
  text: string;
  /** Exit code of the command that produced the section. */
  rc: number;
}

export function parseSections(output: string, nonce: string): Map<string, Section> {
  const sections = new Map<string, Section>();
  const open = `@@${nonce} `;
  const close = `@@${nonce}-rc `;
  let current: string | null = null;
  let lines: string[] = [];
  for (const line of output.split('\n')) {
    if (line.startsWith(open)) {
      current = line.slice(open.length);
      lines = [];
    } else if (line.startsWith(close) && current !== null) {
      const rest = line.slice(close.length);
      const space = rest.lastIndexOf(' ');
      const rc = Number(rest.slice(space + 1));
      // The collector adds one newline before the rc marker so a section never runs into it.
      if (lines.length > 0 && lines[lines.length - 1] === '') {
        lines.pop();
      }
      sections.set(current, { text: lines.join('\n'), rc: Number.isFinite(rc) ? rc : -1 });
      current = null;
    } else if (current !== null) {
      lines.push(line);
    }
  }
  return sections;
}

/**
 * Splits a virsh run's output at the `echo @@<nonce>-part <name> [<key>]@@` separators. virsh's
 * echo prints no newline, so markers are found anywhere in the text, not only at line starts.
 */
export function parseParts(text: string, nonce: string): { name: string; key: string | null; text: string }[] {
  // Names and keys never contain '@': with \S+ here, two markers printed back to back (an empty
  // list, since virsh's echo prints no newline) read as one part and swallowed the next list.
  const marker = new RegExp(`@@${nonce}-part ([^\\s@]+)(?: ([^\\s@]+))?@@`, 'g');
  const parts: { name: string; key: string | null; text: string }[] = [];
  let m: RegExpExecArray | null;
  let prev: { name: string; key: string | null; start: number } | null = null;
  while ((m = marker.exec(text)) !== null) {
    if (prev) {
      parts.push({ name: prev.name, key: prev.key, text: text.slice(prev.start, m.index).trim() });
    }
    prev = { name: m[1] ?? '', key: m[2] ?? null, start: m.index + m[0].length };
  }
  if (prev) {
    parts.push({ name: prev.name, key: prev.key, text: text.slice(prev.start).trim() });
  }
  return parts.filter((p) => p.name !== 'end');
}
