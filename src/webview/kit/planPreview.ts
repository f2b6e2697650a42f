/**
 * The plan preview every form shows: each step in its short form, the exact command (and its
 * undo) one click away, the files saved for the next boot exactly as written, the warnings.
 */
import type { PlanResult } from '../../forms/protocol';
import { h } from './dom';

export type PreviewState = { kind: 'incomplete' } | { kind: 'planning' } | { kind: 'planned'; result: PlanResult };

export function renderPreview(box: HTMLElement, state: PreviewState): void {
  box.replaceChildren(h('h2', {}, 'Plan'));
  if (state.kind === 'incomplete') {
    box.append(h('p', { class: 'muted', id: 'plan-state' }, 'Fill in the form: the plan shows here once the input is valid.'));
    return;
  }
  if (state.kind === 'planning') {
    box.append(h('p', { class: 'muted', id: 'plan-state' }, 'Planning…'));
    return;
  }
  const r = state.result;
  if (!r.ok) {
    box.append(
      h('p', { class: 'error', id: 'plan-state' }, 'The host refuses this input; nothing can run:'),
      h('ul', { class: 'problems', id: 'plan-problems' }, ...r.problems.map((p) => h('li', {}, p))),
    );
    return;
  }
  const p = r.plan;
  box.append(
    h(
      'p',
      { id: 'plan-title' },
      h('strong', {}, p.title),
      ` — ${p.steps.length} step${p.steps.length === 1 ? '' : 's'}, applied in one round trip; a failing step undoes the ones before it.`,
    ),
    h(
      'ol',
      { class: 'steps', id: 'plan-steps' },
      ...p.steps.map((s) => {
        const exact = s.display === s.command;
        return h(
          'li',
          { class: `${s.touchesConnection ? 'touches ' : ''}kind-${s.kind}` },
          h('div', { class: 'why' }, s.why, s.touchesConnection ? h('span', { class: 'badge' }, 'connection path') : ''),
          h('code', { class: 'cmd' }, exact ? `$ ${s.display}` : s.display),
          s.document ? h('div', { class: 'document' }, h('div', { class: 'path' }, `${s.document.label}:`), h('pre', { class: 'doc' }, s.document.text)) : '',
          exact
            ? s.undo
              ? h('div', { class: 'undo' }, 'undo: ', h('code', {}, s.undo))
              : ''
            : h(
                'details',
                { class: 'exact' },
                h('summary', {}, 'Exact command'),
                h('code', { class: 'cmd' }, `$ ${s.command}`),
                s.undo ? h('div', { class: 'undo' }, 'undo: ', h('code', {}, s.undo)) : '',
              ),
        );
      }),
    ),
  );
  if (p.files.length || p.removes.length) {
    box.append(
      h(
        'div',
        { class: 'files', id: 'plan-files' },
        h('h3', {}, 'Configuration saved for the next boot'),
        ...p.files.map((f) =>
          h('div', { class: 'file' }, h('div', { class: 'path' }, `${f.path} (mode ${f.mode}), written exactly as:`), h('pre', {}, f.contents)),
        ),
        ...p.removes.map((r) => h('div', { class: 'file' }, h('div', { class: 'path' }, `${r} is removed (backed up first)`))),
      ),
    );
  }
  if (p.warnings.length) box.append(h('ul', { class: 'warnings', id: 'plan-warnings' }, ...p.warnings.map((w) => h('li', {}, w))));
  if (p.touchesConnection)
    box.append(
      h('p', { class: 'warning' }, 'This plan changes the path of the connection to the host: Apply asks whether to guard it with an automatic rollback.'),
    );
}
