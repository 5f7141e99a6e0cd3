/**
 * Saved views (an officer's named queue + filters + order) live in the
 * replica's local preferences, one list per signed-in account
 * (`savedViews:<userId>`); they never leave this desktop. Nobody signed in:
 * `unauthenticated`.
 */
import { HuyingError, type ParsedArgs } from '../../../../core/index';
import { MAX_SAVED_VIEWS, SavedView, type SavedViewList } from '../../../../core/rpc/workstation';
import { readPreference, writePreference } from '../../store/preferences';
import type { QueryContext } from '../context';

function key(ctx: QueryContext): string {
  const user = ctx.deps.user();
  if (!user) throw new HuyingError('unauthenticated', 'sign in to keep saved views');
  return `savedViews:${user.id}`;
}

function read(ctx: QueryContext, k: string): SavedView[] {
  const stored = readPreference<unknown[]>(ctx.sqlite, k) ?? [];
  // a view written by an older build that no longer parses is dropped rather than breaking the list
  return stored.flatMap((v) => {
    const parsed = SavedView.safeParse(v);
    return parsed.success ? [parsed.data] : [];
  });
}

export function listSavedViews(ctx: QueryContext): SavedViewList {
  return { views: read(ctx, key(ctx)) };
}

export function saveView(ctx: QueryContext, args: ParsedArgs<'saved-views/save'>): SavedViewList {
  const k = key(ctx);
  const at = new Date(ctx.now()).toISOString();
  return ctx.sqlite.transaction(() => {
    const views = read(ctx, k);
    const view = SavedView.parse({ ...args.view, updatedAt: at });
    const i = views.findIndex((v) => v.id === view.id);
    if (i >= 0) views[i] = view;
    else if (views.length >= MAX_SAVED_VIEWS) throw new HuyingError('invalid_args', `at most ${MAX_SAVED_VIEWS} saved views per account`);
    else views.push(view);
    writePreference(ctx.sqlite, k, views, at);
    return { views };
  })();
}

export function deleteView(ctx: QueryContext, args: ParsedArgs<'saved-views/delete'>): SavedViewList {
  const k = key(ctx);
  return ctx.sqlite.transaction(() => {
    const views = read(ctx, k).filter((v) => v.id !== args.id);
    writePreference(ctx.sqlite, k, views, new Date(ctx.now()).toISOString());
    return { views };
  })();
}
