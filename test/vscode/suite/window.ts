/**
 * A test seam, and only that: replaces the message functions of `vscode.window` so a test can
 * answer VirtNet's modal confirmations and read what it showed. The extension calls the real
 * functions; the tests swap them for the duration of one test and put them back.
 */
import * as vscode from 'vscode';

export interface Shown {
  kind: 'warning' | 'information' | 'error';
  message: string;
  modal: boolean;
  detail: string;
  items: string[];
}

type Answer = (shown: Shown) => string | undefined;

type MessageFn = (message: string, ...rest: unknown[]) => Thenable<unknown>;

export class WindowStub {
  readonly shown: Shown[] = [];
  private readonly saved: Record<string, MessageFn> = {};

  /** `answer` picks the button for each message (undefined = dismissed). */
  constructor(private answer: Answer = () => undefined) {
    const w = vscode.window as unknown as Record<string, MessageFn>;
    for (const [fn, kind] of [
      ['showWarningMessage', 'warning'],
      ['showInformationMessage', 'information'],
      ['showErrorMessage', 'error'],
    ] as const) {
      this.saved[fn] = w[fn];
      w[fn] = (message: string, ...rest: unknown[]) => {
        const first = rest[0];
        const options = typeof first === 'object' && first !== null && !('title' in first) ? (first as vscode.MessageOptions) : undefined;
        const items = (options ? rest.slice(1) : rest).map((i) => (typeof i === 'string' ? i : (i as vscode.MessageItem).title));
        const shown: Shown = { kind, message, modal: options?.modal === true, detail: options?.detail ?? '', items };
        this.shown.push(shown);
        return Promise.resolve(this.answer(shown));
      };
    }
  }

  setAnswer(answer: Answer): void {
    this.answer = answer;
  }

  modals(): Shown[] {
    return this.shown.filter((s) => s.modal);
  }

  errors(): Shown[] {
    return this.shown.filter((s) => s.kind === 'error');
  }

  restore(): void {
    const w = vscode.window as unknown as Record<string, MessageFn>;
    for (const [fn, original] of Object.entries(this.saved)) w[fn] = original;
  }
}

/** Answers every modal with `button` when it offers it; other messages are dismissed. */
export const pick =
  (button: string): Answer =>
  (s) =>
    s.modal && s.items.includes(button) ? button : undefined;

/** What a change command returns: its outcome, as the flow reports it. */
export interface Outcome {
  kind: string;
  message: string;
}

/**
 * Runs a VirtNet command with every dialog answered by `answer` (undefined: dismissed), and
 * gives its outcome with the stub that saw the dialogs. The stub is restored whatever happens.
 */
export async function runAnswered(
  answer: string | undefined,
  command: string,
  ...args: unknown[]
): Promise<{ outcome: Outcome | undefined; stub: WindowStub }> {
  const stub = new WindowStub(answer === undefined ? () => undefined : pick(answer));
  try {
    return { outcome: (await vscode.commands.executeCommand(command, ...args)) as Outcome | undefined, stub };
  } finally {
    stub.restore();
  }
}
