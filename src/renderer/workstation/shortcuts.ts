/**
 * Every shortcut of the workstation in one table: the handlers, the help
 * overlay (`?`), the command palette's hints and docs/workstation.md all read
 * it, so they cannot disagree. Single keys act only while no text field has
 * the focus and no dialog is open.
 */
import type { ShortcutGroup } from '../components/ShortcutHelp';
import type { Messages } from '../i18n';
import { ACTIONS } from './actions/catalogue';
import { QUEUES } from './queues';

export const KEYS = {
  palette: 'mod+k',
  help: '?',
  search: '/',
  intake: 'i',
  saveView: 'mod+s',
  next: 'j',
  prev: 'k',
  back: 'escape',
  pushWall: 'w',
  ackAlert: 'shift+a',
  mute: 'shift+m',
} as const;

/** The groups of the help overlay, worded in the current language. */
export function shortcutGroups(t: Messages): ShortcutGroup[] {
  const w = t.workstation;
  const s = w.shortcuts;
  return [
    {
      title: s.groups.general,
      items: [
        { combos: [KEYS.palette], label: s.palette },
        { combos: [KEYS.help], label: s.help },
        { combos: [KEYS.search], label: s.search },
        { combos: [KEYS.intake], label: s.intake },
        { combos: [KEYS.saveView], label: s.saveView },
        { combos: [KEYS.ackAlert], label: s.ackAlert },
        { combos: [KEYS.mute], label: s.mute },
      ],
    },
    {
      title: s.groups.navigation,
      items: [
        ...QUEUES.map((q) => ({ combos: [q.key], label: s.queue(w.queues[q.id]) })),
        { combos: ['arrowdown', 'arrowup'], label: s.move },
        { combos: [KEYS.next, KEYS.prev], label: `${s.next} / ${s.prev}` },
        { combos: ['pagedown', 'pageup'], label: s.pageMove },
        { combos: ['home', 'end'], label: s.firstLast },
        { combos: ['enter'], label: s.open },
        { combos: [KEYS.back], label: s.back },
      ],
    },
    {
      title: s.groups.actions,
      items: [
        ...ACTIONS.filter((a) => a.key).map((a) => ({ combos: [a.key!], label: w.commands[a.type] })),
        { combos: [KEYS.pushWall], label: s.pushWall },
      ],
    },
    {
      title: s.groups.dialogs,
      items: [
        { combos: ['enter'], label: s.submit },
        { combos: ['mod+enter'], label: s.submitText },
        { combos: ['escape'], label: s.cancel },
      ],
    },
  ];
}

/** Every combo bound at the top level, for the uniqueness test. */
export function allTopLevelCombos(): string[] {
  return [
    KEYS.palette,
    KEYS.help,
    KEYS.search,
    KEYS.intake,
    KEYS.saveView,
    KEYS.next,
    KEYS.prev,
    KEYS.pushWall,
    KEYS.ackAlert,
    KEYS.mute,
    ...QUEUES.map((q) => q.key),
    ...ACTIONS.filter((a) => a.key).map((a) => a.key!),
  ];
}
