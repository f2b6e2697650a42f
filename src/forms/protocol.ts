/**
 * The message protocol of the bridge form, imported by both the extension and the webview. Every
 * message is a discriminated union member; each side checks what it receives with the guards
 * below before acting on it, because a webview is a separate page whose messages are just JSON.
 * No `vscode` and no Node imports: this file is bundled into the browser side too.
 */

import { PERSIST_BACKENDS, type PersistBackend } from '../core/ops/persist/types';

export type FormMode = 'create' | 'uplink';
export type Addressing = 'dhcp' | 'static';

/** What the user has typed so far; kept as text so a half-typed value survives a reload. */
export interface Draft {
  mode: FormMode;
  bridge: string;
  stp: boolean;
  /** Seconds as typed; empty means the kernel's default. */
  forwardDelay: string;
  /** Create mode: interfaces to enslave. */
  ports: string[];
  /** Uplink mode: the NIC whose addresses move to the bridge. */
  nic: string;
  addressing: Addressing;
  address: string;
  gateway: string;
  /** Runtime only ('none'), or also saved through this network manager. */
  persist: PersistBackend;
}

/** An interface the form may offer, with the facts shown beside its name. */
export interface Iface {
  name: string;
  detail: string;
}

export interface StepView {
  why: string;
  /** The command exactly as the host's shell receives it. */
  command: string;
  undo: string | null;
  touchesConnection: boolean;
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

export type OutcomeKind = 'applied' | 'failed' | 'rolled-back' | 'unreachable' | 'cancelled' | 'error';

export interface Outcome {
  kind: OutcomeKind;
  /** One sentence for the user. */
  message: string;
  /** stderr or the host's rollback record; may be empty. */
  detail: string;
}

/** Webview to extension. */
export type FormRequest =
  | { type: 'ready' }
  | { type: 'draft'; seq: number; draft: Draft }
  | { type: 'apply'; seq: number; draft: Draft }
  | { type: 'cancel' }
  | { type: 'copyScript'; draft: Draft };

/** Extension to webview. */
export type FormUpdate =
  | {
      type: 'init';
      host: { dest: string; label: string };
      /** Interfaces free to become ports (create mode). */
      ports: Iface[];
      /** NICs that can be bridged (uplink mode). */
      nics: Iface[];
      /** Names already taken on the host, for live "already exists" checks. */
      taken: string[];
      dhcpClient: string | null;
      /** Runtime only, and the host's own network manager when one was detected. */
      persistOptions: { value: PersistBackend; label: string }[];
      /** Fields the command that opened the form fills in (mode, NIC); the saved draft wins otherwise. */
      preset: Partial<Draft>;
    }
  | { type: 'plan'; seq: number; result: PlanResult }
  | { type: 'applying'; title: string; guarded: boolean }
  | { type: 'result'; outcome: Outcome };

// Runtime guards: small, strict, and enough to reject anything not built by the other side.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStrArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isStr);
const oneOf = <T extends string>(v: unknown, options: readonly T[]): v is T => isStr(v) && (options as readonly string[]).includes(v);

/** Text fields are short; anything longer is not from our form. */
const MAX_TEXT = 200;
const isText = (v: unknown): v is string => isStr(v) && v.length <= MAX_TEXT;

export function isDraft(v: unknown): v is Draft {
  return (
    isObj(v) &&
    oneOf(v.mode, ['create', 'uplink'] as const) &&
    isText(v.bridge) &&
    isBool(v.stp) &&
    isText(v.forwardDelay) &&
    isStrArray(v.ports) &&
    v.ports.length <= 256 &&
    v.ports.every(isText) &&
    isText(v.nic) &&
    oneOf(v.addressing, ['dhcp', 'static'] as const) &&
    isText(v.address) &&
    isText(v.gateway) &&
    oneOf(v.persist, PERSIST_BACKENDS)
  );
}

export function isFormRequest(v: unknown): v is FormRequest {
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

const isIface = (v: unknown): v is Iface => isObj(v) && isStr(v.name) && isStr(v.detail);

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
    v.steps.every((s) => isObj(s) && isStr(s.why) && isStr(s.command) && (s.undo === null || isStr(s.undo)) && isBool(s.touchesConnection))
  );
}

function isPlanResult(v: unknown): v is PlanResult {
  if (!isObj(v)) return false;
  return v.ok === true ? isPlanView(v.plan) : v.ok === false && isStrArray(v.problems);
}

export function isFormUpdate(v: unknown): v is FormUpdate {
  if (!isObj(v)) return false;
  switch (v.type) {
    case 'init': {
      const h = v.host;
      return (
        isObj(h) &&
        isStr(h.dest) &&
        isStr(h.label) &&
        Array.isArray(v.ports) &&
        v.ports.every(isIface) &&
        Array.isArray(v.nics) &&
        v.nics.every(isIface) &&
        isStrArray(v.taken) &&
        (v.dhcpClient === null || isStr(v.dhcpClient)) &&
        Array.isArray(v.persistOptions) &&
        v.persistOptions.every((o) => isObj(o) && oneOf(o.value, PERSIST_BACKENDS) && isStr(o.label)) &&
        isObj(v.preset)
      );
    }
    case 'plan':
      return isSeq(v.seq) && isPlanResult(v.result);
    case 'applying':
      return isStr(v.title) && isBool(v.guarded);
    case 'result': {
      const o = v.outcome;
      return isObj(o) && oneOf(o.kind, ['applied', 'failed', 'rolled-back', 'unreachable', 'cancelled', 'error'] as const) && isStr(o.message) && isStr(o.detail);
    }
    default:
      return false;
  }
}

export function emptyDraft(mode: FormMode = 'create'): Draft {
  return { mode, bridge: '', stp: false, forwardDelay: '', ports: [], nic: '', addressing: 'dhcp', address: '', gateway: '', persist: 'none' };
}
