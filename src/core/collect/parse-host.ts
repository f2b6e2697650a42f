/** Parsers for the collector's `key=value` host facts and QEMU's `-device help` network list. */

export type HostFacts = Map<string, string>;

export function parseHostFacts(text: string): HostFacts {
  const facts: HostFacts = new Map();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) {
      const key = line.slice(0, eq);
      // Repeated keys (several IOMMU units) are joined with commas.
      const prev = facts.get(key);
      const value = line.slice(eq + 1);
      facts.set(key, prev === undefined ? value : `${prev},${value}`);
    }
  }
  return facts;
}

/** NIC model names from `qemu-system-* -device help` ("Network devices:" section). */
export function parseQemuNicModels(text: string): string[] {
  const models: string[] = [];
  // The collector sends only the network section; full `-device help` output is cut to it here.
  const start = text.indexOf('Network devices:');
  const section = start >= 0 ? (text.slice(start).split(/\n\s*\n/)[0] ?? '') : text;
  for (const line of section.split('\n')) {
    const m = /^name "([^"]+)"/.exec(line.trim());
    if (m?.[1]) {
      models.push(m[1]);
    }
  }
  return models;
}
