/**
 * DE/EN in the header: overrides the browser's language and is remembered (messages/index.ts).
 * Each option is named in its own language, so a reader who landed in the wrong one finds theirs.
 */
import { SegmentedControl } from '@mantine/core';
import { LANGUAGES, catalogs, m, setLanguage, useLanguage, type Language } from '../messages';

export function LanguageSwitch() {
  const language = useLanguage();
  return (
    <div role="group" aria-label={m.language.label}>
      <SegmentedControl
        size="xs"
        value={language}
        onChange={(value) => setLanguage(value as Language)}
        data={LANGUAGES.map((l) => ({
          value: l,
          label: (
            <abbr lang={l} title={catalogs[l].language[l]}>
              {l.toUpperCase()}
            </abbr>
          ),
        }))}
      />
    </div>
  );
}
