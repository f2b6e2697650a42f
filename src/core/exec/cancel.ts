/**
 * Cancelling a command on a remote host. Killing the local `ssh` client only closes its channel:
 * the remote command goes on until it next writes (or never, if it waits on a hung daemon). So a
 * cancellable remote command carries a per-run tag, and a cancel is a second short command over
 * the same master connection that signals the tagged run's processes on the host.
 *
 * How a run is found and what is signalled:
 * - sshd starts every channel's command in a new session (setsid), so a run's session holds
 *   exactly its own processes, including any that made their own process group (`timeout` does).
 * - The run's outermost process of ours, the wrapper, gets `VIRTNET_RUN=<tag>` in its
 *   environment and unsets it for its children. /proc/PID/environ is readable by the same user and
 *   by root only, and a search pattern in argv can never find the searcher itself.
 * - Every process of that session is signalled except the wrapper and its ancestors (the login
 *   shell, a remote `timeout`): they only wait and must stay to report the real exit status.
 *   The wrapper traps TERM for the same reason (a remote `timeout` signals its whole group).
 * - Only a session whose leader is the wrapper or one of its ancestors is touched: anything else
 *   is not a session of this run's own making.
 * Processes that left the session on purpose (setsid, like the guard's detached rollback timer)
 * are not touched: they are meant to outlive the session.
 */
import { randomBytes } from 'node:crypto';

export type CancelSignal = 'TERM' | 'KILL';

/** The wrapper: runs "$@" as a child (not exec) so it stays to report "$@"'s exit status. */
const WRAPPER = 'unset VIRTNET_RUN; trap : HUP INT TERM; "$@"; exit $?';

/**
 * Runs on the host: $1 tag, $2 signal. ps -o sid and grep -z are procps and GNU grep, which
 * every Linux host VirtNet manages has.
 */
const SIGNAL_RUN = String.raw`
w=$(grep -lzxF "VIRTNET_RUN=$1" /proc/[0-9]*/environ 2>/dev/null | sed -n '1s|^/proc/\([0-9]*\)/environ$|\1|p')
[ -n "$w" ] || exit 0
for p in $(ps -e -o pid=,ppid=,sid= | awk -v w="$w" '
  { par[$1] = $2; sid[$1] = $3 }
  END {
    if (!(w in sid)) exit
    s = sid[w]
    keep[w] = 1
    for (p = par[w]; (p in sid) && sid[p] == s && !(p in keep); p = par[p]) keep[p] = 1
    if (!(s in keep)) exit
    for (q in sid) if (sid[q] == s && !(q in keep)) print q
  }' | sort -n); do
  kill -s "$2" "$p" 2>/dev/null
done
exit 0
`;

/** A fresh tag for one run: random, so no other run (or user) can collide with it. */
export function newRunTag(): string {
  return randomBytes(9).toString('hex');
}

/** `argv` wrapped so a cancel can find it on the host by `tag`. */
export function taggedArgv(tag: string, argv: readonly string[]): string[] {
  return ['env', `VIRTNET_RUN=${tag}`, 'sh', '-c', WRAPPER, 'virtnet-run', ...argv];
}

/** The command that sends `signal` to the processes of the run tagged `tag` (see above). */
export function signalRunArgv(tag: string, signal: CancelSignal): string[] {
  return ['sh', '-c', SIGNAL_RUN, 'virtnet-cancel', tag, signal];
}

/**
 * What a cancel does while its run is in flight: TERM at once and again every `repeatMs` (a run
 * may start on the host only after the first one; one attempt at a time, since over a dead
 * connection each waits for its own limit), then KILL after `graceMs`, and only then give up
 * on the local process (`giveUp`). The host so gets the chance to end the run itself (a plan
 * undoes its steps) and its real exit status still arrives.
 */
export class CancelWatch {
  /** Aborted once the KILL went out: the local process may then be killed too. */
  readonly giveUp = new AbortController();
  cancelled = false;
  private readonly pending: Promise<void>[] = [];
  private repeat: NodeJS.Timeout | undefined;
  private grace: NodeJS.Timeout | undefined;
  private signalling = false;
  private readonly onAbort = () => this.start();

  constructor(
    private readonly signal: AbortSignal,
    private readonly send: (signal: CancelSignal) => Promise<void>,
    private readonly options: { graceMs: number; repeatMs: number; onCancel: () => void; onKill: () => void },
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private term(): void {
    if (this.signalling) return;
    this.signalling = true;
    this.pending.push(this.send('TERM').finally(() => (this.signalling = false)));
  }

  private start(): void {
    this.cancelled = true;
    this.options.onCancel();
    this.term();
    this.repeat = setInterval(() => this.term(), this.options.repeatMs);
    this.grace = setTimeout(() => {
      clearInterval(this.repeat);
      this.options.onKill();
      const kill = this.send('KILL');
      this.pending.push(kill);
      void kill.finally(() => this.giveUp.abort());
    }, this.options.graceMs);
  }

  /** Stops the timers once the run ended; resolves when every signal on its way has landed. */
  async settle(): Promise<void> {
    this.signal.removeEventListener('abort', this.onAbort);
    clearInterval(this.repeat);
    clearTimeout(this.grace);
    await Promise.allSettled(this.pending);
  }
}
