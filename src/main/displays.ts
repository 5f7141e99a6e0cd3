/**
 * Which window goes on which display. The workstation window always opens on
 * the primary display. A full-screen wall window opens
 *   - with `--wall`: on the configured display, else the first non-primary
 *     display, else the primary one;
 *   - without it: only when the configuration names a display, that display is
 *     connected, and there is more than one display.
 * Pure functions over Electron's Display shape, so they are tested without it.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The part of Electron's Display we use. */
export interface DisplayLike {
  id: number;
  label: string;
  bounds: Rect;
  workArea: Rect;
}

export interface WindowPlan {
  workstation: DisplayLike;
  wall: DisplayLike | null;
}

/** A display by numeric id (number or digits) or by label (case-insensitive). */
export function findDisplay(displays: readonly DisplayLike[], selector: number | string | null): DisplayLike | undefined {
  if (selector === null) return undefined;
  if (typeof selector === 'number' || /^\d+$/.test(selector)) {
    const id = Number(selector);
    const byId = displays.find((d) => d.id === id);
    if (byId || typeof selector === 'number') return byId;
  }
  const label = String(selector).trim().toLowerCase();
  return displays.find((d) => d.label.trim().toLowerCase() === label);
}

export function planWindows(
  displays: readonly DisplayLike[],
  primary: DisplayLike,
  config: { wall: boolean; wallDisplay: number | string | null },
): WindowPlan {
  const configured = findDisplay(displays, config.wallDisplay);
  if (config.wall) {
    const other = displays.find((d) => d.id !== primary.id);
    return { workstation: primary, wall: configured ?? other ?? primary };
  }
  if (configured && displays.length > 1) return { workstation: primary, wall: configured };
  return { workstation: primary, wall: null };
}

/** A window of at most `size` centred in the display's work area. */
export function centredBounds(display: DisplayLike, size: { width: number; height: number }): Rect {
  const area = display.workArea;
  const width = Math.min(size.width, area.width);
  const height = Math.min(size.height, area.height);
  return {
    x: Math.round(area.x + (area.width - width) / 2),
    y: Math.round(area.y + (area.height - height) / 2),
    width,
    height,
  };
}
