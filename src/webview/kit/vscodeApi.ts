/** The webview's handle on VS Code: messages to the extension and the draft kept across reloads. */
import type { FormRequest } from '../../forms/protocol';

/** What a form keeps with getState/setState: its host and its draft. */
export interface SavedState<D> {
  host: string;
  draft: D;
}

export interface VsCodeApi<D> {
  postMessage(message: FormRequest<D>): void;
  getState(): unknown;
  setState(state: SavedState<D>): void;
}

declare function acquireVsCodeApi(): VsCodeApi<unknown>;

/** acquireVsCodeApi may be called once per page: each form's bundle calls this once. */
export function vscodeApi<D>(): VsCodeApi<D> {
  return acquireVsCodeApi() as VsCodeApi<D>;
}
