/** The webview's handle on VS Code: messages to the extension and the draft kept across reloads. */
import type { Draft, FormRequest } from '../forms/protocol';

/** What the webview keeps with getState/setState: the draft, per host. */
export interface SavedState {
  host: string;
  draft: Draft;
}

interface VsCodeApi {
  postMessage(message: FormRequest): void;
  getState(): unknown;
  setState(state: SavedState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** acquireVsCodeApi may be called once per page. */
export const vscodeApi: VsCodeApi = acquireVsCodeApi();
