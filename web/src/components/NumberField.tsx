/**
 * A whole-number field: a native number input with Mantine's label, description and error.
 * (Mantine's NumberInput would bring a formatting library into the bundle for nothing here.)
 *
 * What is typed stays as typed: "2.5" is not quietly cut to 2. A text that is no whole number
 * (a fraction, letters the browser let through) reports NaN to the form, which refuses to send
 * it, and the field is marked at once with the reason, next to it.
 */
import { TextInput, type TextInputProps } from '@mantine/core';
import { useState } from 'react';
import { m } from '../messages';

export function NumberField({
  value,
  onChange,
  min,
  max,
  error,
  ...props
}: Omit<TextInputProps, 'value' | 'onChange' | 'type' | 'min' | 'max'> & {
  /** NaN: the field holds a text that is no whole number. */
  value: number | '';
  onChange: (value: number | '') => void;
  min?: number;
  max?: number;
}) {
  // The text as typed, while it is no whole number; null once it is one (or empty).
  const [bad, setBad] = useState<string | null>(null);
  const shown = bad ?? (value === '' || Number.isNaN(value) ? '' : String(value));
  return (
    <TextInput
      {...props}
      type="number"
      inputMode="numeric"
      min={min}
      max={max}
      step={1}
      value={shown}
      error={bad !== null ? m.errors.wholeNumber : error}
      onChange={(e) => {
        const input = e.currentTarget;
        const text = input.value.trim();
        // A number input answers "" for what it cannot parse ("2,5" in some locales, "e").
        if (text === '' && input.validity.badInput) {
          setBad('');
          onChange(Number.NaN);
          return;
        }
        if (text === '') {
          setBad(null);
          onChange('');
          return;
        }
        if (/^[+-]?\d+$/.test(text)) {
          setBad(null);
          onChange(Number(text));
          return;
        }
        setBad(input.value);
        onChange(Number.NaN);
      }}
    />
  );
}
