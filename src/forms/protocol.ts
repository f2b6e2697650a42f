/**
 * The message protocol every form shares, imported by both the extension and the webview. Every
 * message is a discriminated union member; each side checks what it receives with the guards
 * below before acting on it, because a webview is a separate page whose messages are just JSON.
 * A form brings its own draft type and draft guard (forms/<form>/draft.ts) and its own init data.
 * No `vscode` and no Node imports: this file is bundled into the browser side too.
 */
import { OUTCOME_KINDS, type Outcome } from '../flow/outcome';
import { PERSIST_BACKENDS, type PersistBackend } from '../core/ops/persist/types';

export type { Outcome };

export interface StepView {
  why: string;
  /** The step in one line; the exact command is `command`. */
  display: string;
  /** The command exactly as the host's shell receives it. */
  command: string;
  undo: string | null;
  kind: string;
  touchesConnection: boolean;
  /** A document the step hands over (libvirt XML, or a diff), shown whole. */
  document: { label: string; text: string } | null;
}

export interface FileView {
  path: string;
  mode: string;
  /** Exactly as written. */
  contents: string;
}

export interface PlanView {
  title: string;
  steps: StepView[];
  warnings: string[];
  touchesConnection: boolean;
  /** Configuration files the plan writes (persistence), and files it removes. */
  files: FileView[];
  removes: string[];
}

export type PlanResult = { ok: true; plan: PlanView } | { ok: false; problems: string[] };

/** A choice the form offers for "after a reboot". */
export interface PersistOption {
  value: PersistBackend;
  label: string;
}

/** Webview to extension. */
export type FormRequest<D> =
  | { type: 'ready' }
  | { type: 'draft'; seq: number; draft: D }
  | { type: 'apply'; seq: number; draft: D }
  | { type: 'cancel' }
  | { type: 'copyScript'; draft: D };

/** Extension to webview. `I` is what the form needs to draw itself (lists, names taken...). */
export type FormUpdate<D, I> =
  | {
      type: 'init';
      host: { dest: string; label: string };
      data: I;
      persistOptions: PersistOption[];
      /** Fields the command that opened the form fills in (mode, NIC); the saved draft wins otherwise. */
      preset: Partial<D>;
    }
  | { type: 'plan'; seq: number; result: PlanResult }
  | { type: 'applying'; title: string; guarded: boolean }
  | { type: 'result'; outcome: Outcome };

// Runtime guards: small, strict, and enough to reject anything not built by the other side.

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
export const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
export const oneOf = <T extends string>(v: unknown, options: readonly T[]): v is T => isStr(v) && (options as readonly string[]).includes(v);

/** Text fields are short; anything longer is not from our form. */
export const MAX_TEXT = 200;
export const isText = (v: unknown): v is string => isStr(v) && v.length <= MAX_TEXT;

export function isFormRequest<D>(v: unknown, isDraft: (d: unknown) => d is D): v is FormRequest<D> {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'ready':
    case 'cancel':
      return true;
    case 'draft':
    case 'apply':
      return isSeq(v.seq) && isDraft(v.draft);
    case 'copyScript':
      return isDraft(v.draft);
    default:
      return false;
  }
}

function isPlanView(v: unknown): v is PlanView {
  return (
    isObj(v) &&
    isStr(v.title) &&
    isStrArray(v.warnings) &&
    isBool(v.touchesConnection) &&
    Array.isArray(v.files) &&
    v.files.every((f) => isObj(f) && isStr(f.path) && isStr(f.mode) && isStr(f.contents)) &&
    isStrArray(v.removes) &&
    Array.isArray(v.steps) &&
    v.steps.every(
      (s) =>
        isObj(s) &&
        isStr(s.why) &&
        isStr(s.display) &&
        isStr(s.command) &&
        isStr(s.kind) &&
        (s.undo === null || isStr(s.undo)) &&
        isBool(s.touchesConnection) &&
        (s.document === null || (isObj(s.document) && isStr(s.document.label) && isStr(s.document.text))),
    )
  );
}

function isPlanResult(v: unknown): v is PlanResult {
  if (!isObj(v)) return false;
  return v.ok === true ? isPlanView(v.plan) : v.ok === false && isStrArray(v.problems);
}

export function isOutcome(o: unknown): o is Outcome {
  return isObj(o) && oneOf(o.kind, OUTCOME_KINDS) && isStr(o.message) && isStr(o.detail) && (o.journal === undefined || isStr(o.journal));
}

export function isFormUpdate<D, I>(v: unknown, isData: (d: unknown) => d is I): v is FormUpdate<D, I> {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'init': {
      const h = v.host;
      return (
        isObj(h) &&
        isStr(h.dest) &&
        isStr(h.label) &&
        isData(v.data) &&
        Array.isArray(v.persistOptions) &&
        v.persistOptions.every((o) => isObj(o) && oneOf(o.value, PERSIST_BACKENDS) && isStr(o.label)) &&
        isObj(v.preset)
      );
    }
    case 'plan':
      return isSeq(v.seq) && isPlanResult(v.result);
    case 'applying':
      return isStr(v.title) && isBool(v.guarded);
    case 'result':
      return isOutcome(v.outcome);
    default:
      return false;
  }
}
