/** The host's neighbour table, where a guest's address shows that no libvirt lease knows. */

/** `ip -j neigh show`: IPv4 neighbours with a MAC that answered (not FAILED or INCOMPLETE). */
export function parseNeighbours(text: string): { ip: string; mac: string }[] {
  let rows: unknown;
  try {
    rows = JSON.parse(text || '[]');
  } catch {
    return [];
  }
  if (!Array.isArray(rows)) return [];
  const out: { ip: string; mac: string }[] = [];
  for (const r of rows as { dst?: unknown; lladdr?: unknown; state?: unknown }[]) {
    const state = Array.isArray(r.state) ? r.state.map(String) : [];
    if (typeof r.dst !== 'string' || typeof r.lladdr !== 'string' || !/^\d+\.\d+\.\d+\.\d+$/.test(r.dst)) continue;
    if (state.includes('FAILED') || state.includes('INCOMPLETE')) continue;
    out.push({ ip: r.dst, mac: r.lladdr.toLowerCase() });
  }
  return out;
}
