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

/** Splits a virsh batch run's output at the `echo @@<nonce>-part <name> [<uuid>]` separators. */
export function parseParts(text: string, nonce: string): { name: string; key: string | null; text: string }[] {
  const parts: { name: string; key: string | null; text: string }[] = [];
  const marker = `@@${nonce}-part `;
  let current: { name: string; key: string | null; lines: string[] } | null = null;
  const flush = () => {
    if (current) {
      parts.push({ name: current.name, key: current.key, text: current.lines.join('\n').trim() });
    }
  };
  for (const line of text.split('\n')) {
    if (line.startsWith(marker)) {
      flush();
      const [name, key] = line.slice(marker.length).trim().split(/\s+/, 2);
      current = { name: name ?? '', key: key ?? null, lines: [] };
    } else if (current) {
      current.lines.push(line);
    }
  }
  flush();
  return parts;
}
