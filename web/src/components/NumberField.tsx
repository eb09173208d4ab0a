/**
 * A whole-number field: a native number input with Mantine's label, description and error.
 * (Mantine's NumberInput would bring a formatting library into the bundle for nothing here.)
 */
import { TextInput, type TextInputProps } from '@mantine/core';

export function NumberField({
  value,
  onChange,
  min,
  max,
  ...props
}: Omit<TextInputProps, 'value' | 'onChange' | 'type' | 'min' | 'max'> & {
  value: number | '';
  onChange: (value: number | '') => void;
  min?: number;
  max?: number;
}) {
  return (
    <TextInput
      {...props}
      type="number"
      inputMode="numeric"
      min={min}
      max={max}
      step={1}
      value={value === '' ? '' : String(value)}
      onChange={(e) => {
        const text = e.currentTarget.value;
        const n = Number(text);
        onChange(text === '' || !Number.isFinite(n) ? '' : Math.trunc(n));
      }}
    />
  );
}
