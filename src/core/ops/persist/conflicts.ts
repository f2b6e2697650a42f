/**
 * Read-only checks, run on the host before anything changes, that no configuration other than
 * VirtNet's own already defines the interfaces VirtNet is about to write: two configs for one
 * bridge fight at boot. The inventory does not read config files, so the check runs at apply
 * time, names the file it found, and fails the plan before its first runtime step.
 * Every value arrives as a positional parameter; the scripts are constants.
 */
import { step, type Step } from '../plan';

/**
 * networkd: a foreign .netdev naming one of the interfaces creates it twice; a foreign .network
 * matching one that sorts before ours wins (networkd takes the first match in file-name order).
 * $1 is our files' stem (05-virtnet-br9), the rest are interface names. Name= takes globs, which the
 * shell's `case` matches (with pathname expansion off, so they are never expanded against files).
 */
const NETWORKD = [
  'own=$1; shift',
  // The list is expanded once, here; inside, pathname expansion is off so Name= globs stay globs.
  'for f in /etc/systemd/network/* /run/systemd/network/* /usr/local/lib/systemd/network/* /usr/lib/systemd/network/* /lib/systemd/network/*; do',
  '  set -f; b=${f##*/}',
  '  [ -f "$f" ] || continue',
  '  case "$b" in "$own".netdev|"$own".network|"$own"-*.network) continue ;; *.netdev) sec=NetDev ;; *.network) sec=Match',
  // Sorting after ours, it never wins the match; only earlier .network files matter.
  '      [ "$(printf "%s\\n%s\\n" "$b" "$own" | LC_ALL=C sort | head -n 1)" = "$b" ] || continue ;; *) continue ;; esac',
  '  pats=$(awk -v s="[$sec]" \'/^[[:space:]]*\\[/ { cur = $1 } cur == s && /^[[:space:]]*Name[[:space:]]*=/ { sub(/^[^=]*=/, ""); print }\' "$f")',
  '  for n in "$@"; do',
  '    for p in $pats; do',
  '      case "$p" in !*) continue ;; esac',
  '      case "$n" in $p) echo "virtnet: $f already configures $n (Name=$p); remove it there first, or persist with --persist none" >&2; exit 1 ;; esac',
  '    done',
  '  done',
  'done',
  'exit 0',
].join('\n');

/** netplan: another YAML file with the bridge as a key merges into ours, key by key. $1 is our file. */
const NETPLAN = [
  'own=$1; shift',
  'for f in /etc/netplan/*.yaml /run/netplan/*.yaml /lib/netplan/*.yaml /usr/lib/netplan/*.yaml; do',
  '  [ -f "$f" ] && [ "$f" != "$own" ] || continue',
  '  for n in "$@"; do',
  // An indented key equal to the name, bare or quoted; names are [A-Za-z0-9_.-] only.
  '    if n="$n" awk \'/^[[:space:]]/ { k = $0; sub(/^[[:space:]]+/, "", k); sub(/[[:space:]]*(#.*)?$/, "", k); gsub(/["\\047]/, "", k); if (k == ENVIRON["n"] ":") found = 1 } END { exit !found }\' "$f"; then',
  '      echo "virtnet: $f already defines $n; netplan would merge it with VirtNet\'s file: remove it there first" >&2; exit 1',
  '    fi',
  '  done',
  'done',
].join('\n');

/** NetworkManager: a profile not made by VirtNet bound to one of the interfaces by name. */
const NM = [
  'for u in $(nmcli -g UUID connection show); do',
  '  info=$(nmcli -g connection.id,connection.interface-name connection show uuid "$u") || continue',
  '  id=$(printf "%s\\n" "$info" | sed -n 1p); ifn=$(printf "%s\\n" "$info" | sed -n 2p)',
  '  case "$id" in virtnet-*) continue ;; esac',
  '  for n in "$@"; do',
  '    [ "$ifn" = "$n" ] && { echo "virtnet: the NetworkManager connection \\"$id\\" ($u) already configures $n; delete or change it first (nmcli connection show uuid $u)" >&2; exit 1; }',
  '  done',
  'done',
  'exit 0',
].join('\n');

function check(script: string, tag: string, params: string[], why: string, display: string): Step {
  return step(['sh', '-c', script, tag, ...params], why, null, { kind: 'check', display });
}

export function networkdConflictCheck(prefix: string, names: string[]): Step {
  return check(
    NETWORKD,
    'virtnet-check-networkd',
    [prefix, ...names],
    `check that no other systemd-networkd file defines ${names.join(', ')}`,
    `check no other networkd config defines ${names.join(' ')}`,
  );
}

export function netplanConflictCheck(own: string, names: string[]): Step {
  return check(
    NETPLAN,
    'virtnet-check-netplan',
    [own, ...names],
    `check that no other netplan file defines ${names.join(', ')}`,
    `check no other netplan file defines ${names.join(' ')}`,
  );
}

export function nmConflictCheck(names: string[]): Step {
  return check(
    NM,
    'virtnet-check-nm',
    names,
    `check that no NetworkManager connection other than VirtNet's configures ${names.join(', ')}`,
    `check no other NetworkManager connection configures ${names.join(' ')}`,
  );
}

/** The scripts, for tests that run them against a fake root. */
export const CONFLICT_SCRIPTS = { networkd: NETWORKD, netplan: NETPLAN, nm: NM };
