/**
 * The sign-in form that index.html carries as plain HTML (web/sign-in-html.ts writes it into the
 * page at build time): on a slow line it is usable as soon as the page's few kilobytes arrive,
 * long before the app's scripts and Mantine's styles. The service leaves it out of the page for a
 * browser that is signed in (src/api/web.ts). When the app starts, the React form takes its
 * place with what was typed, the field that had the focus and a submit that was waiting.
 *
 * Only functions that touch the DOM when called: the build's plugin imports the ids from here.
 */

/** Ids and markers shared with the build's plugin and the service. */
export const BOOT = {
  root: 'hv-sign-in',
  username: 'hv-sign-in-username',
  password: 'hv-sign-in-password',
  /** Set on the root by the page's script when the form was sent before the app took over. */
  pending: 'data-pending',
} as const;

export interface BootSignIn {
  username: string;
  password: string;
  focus: 'username' | 'password' | null;
  selection: [number, number] | null;
  /** The form was sent: the app signs in with these values at once. */
  pending: boolean;
}

function field(id: string): HTMLInputElement | null {
  const element = document.getElementById(id);
  return element instanceof HTMLInputElement ? element : null;
}

/** What the plain form holds now; null when the page has none (signed in, or taken over). */
export function readBootSignIn(): BootSignIn | null {
  if (typeof document === 'undefined') return null;
  const root = document.getElementById(BOOT.root);
  const username = field(BOOT.username);
  const password = field(BOOT.password);
  if (!root || !username || !password) return null;
  const active = document.activeElement;
  const focused = active === username ? username : active === password ? password : null;
  return {
    username: username.value,
    password: password.value,
    focus: focused === username ? 'username' : focused === password ? 'password' : null,
    selection:
      focused && focused.selectionStart !== null && focused.selectionEnd !== null
        ? [focused.selectionStart, focused.selectionEnd]
        : null,
    pending: root.hasAttribute(BOOT.pending),
  };
}

/** Removes the plain form once the app shows its own page. */
export function removeBootSignIn(): void {
  if (typeof document !== 'undefined') document.getElementById(BOOT.root)?.remove();
}
