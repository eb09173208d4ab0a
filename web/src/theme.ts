/**
 * The page's Mantine theme. Colours are chosen for WCAG AA (4.5:1 for text): Mantine's defaults
 * put white on shade 6 (blue 3.56:1, green 2.36:1, teal 2.55:1) and grey hints at 3.32:1.
 * Filled colours use shade 8, and the palettes whose shade 8 or 9 is too light are darkened
 * there, so that:
 * - white text on shade 8 (filled buttons, badges, the banner) keeps at least 4.6:1;
 * - shade 9 (text of light badges and alerts, filled hover) keeps 4.6:1 on shade 1 (their fill);
 * - grey 6 (dimmed hints) keeps 4.6:1 on white, on grey 0 and 1 and on the light yellow and blue
 *   fills.
 * web/e2e runs axe-core on every view and fails on a contrast violation.
 */
import {
  createTheme,
  DEFAULT_THEME,
  type CSSVariablesResolver,
  type MantineColorsTuple,
} from '@mantine/core';
import { m } from './messages';
import classes from './theme.module.css';

/** Mantine's palette with shades 8 and 9 replaced. */
const darker = (name: string, shade8: string, shade9: string): MantineColorsTuple => {
  const p = [...(DEFAULT_THEME.colors[name] ?? [])];
  p[8] = shade8;
  p[9] = shade9;
  return p as unknown as MantineColorsTuple;
};

const gray = [...DEFAULT_THEME.colors.gray];
gray[6] = '#676d73';

const pageLabels: Record<'first' | 'previous' | 'next' | 'last', string> = {
  first: m.common.firstPage,
  previous: m.common.previousPage,
  next: m.common.nextPage,
  last: m.common.lastPage,
};

export const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: { light: 8, dark: 8 },
  colors: {
    green: darker('green', '#298439', '#247533'),
    teal: darker('teal', '#0a8560', '#097655'),
    orange: darker('orange', '#c35106', '#ae4805'),
    yellow: darker('yellow', '#a26900', '#905d00'),
    red: darker('red', '#d83838', '#c03232'),
    gray: gray as unknown as MantineColorsTuple,
  },
  defaultRadius: 'sm',
  // Transitions are skipped for people who ask their system for reduced motion.
  respectReducedMotion: true,
  // Plain objects, not Modal.extend(…): importing the components here would put them into the
  // sign-in page's download.
  components: {
    Input: { classNames: { input: classes.input } },
    // An icon-only close button needs a name for screen readers.
    Modal: { defaultProps: { closeButtonProps: { 'aria-label': m.common.closeDialog } } },
    Drawer: { defaultProps: { closeButtonProps: { 'aria-label': m.common.closeDialog } } },
    Pagination: {
      defaultProps: {
        getControlProps: (control: keyof typeof pageLabels) => ({
          'aria-label': pageLabels[control],
        }),
        getItemProps: (page: number) => ({ 'aria-label': m.common.pageNumber(page) }),
      },
    },
  },
});

/** Field errors in the filled red too: Mantine takes red 6 (3.28:1 on white). */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-error': 'var(--mantine-color-red-8)' },
  dark: {},
});
