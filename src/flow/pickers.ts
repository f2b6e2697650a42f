/** The quick pick and input box every argument picker uses: a dismissal is a cancel, not an error. */
import * as vscode from 'vscode';
import { Cancelled } from './context';

export type Item<T> = vscode.QuickPickItem & { value: T };

export async function pick<T>(items: Item<T>[], title: string, placeHolder: string, empty: string): Promise<T> {
  if (items.length === 0) throw new Error(empty);
  const picked = await vscode.window.showQuickPick(items, { title, placeHolder, matchOnDescription: true });
  if (!picked) throw new Cancelled();
  return picked.value;
}

export async function input(title: string, prompt: string, placeHolder: string, validate: (v: string) => string | null | undefined): Promise<string> {
  const v = await vscode.window.showInputBox({ title, prompt, placeHolder, validateInput: (t) => validate(t.trim()) ?? undefined });
  if (v === undefined) throw new Cancelled();
  return v.trim();
}
