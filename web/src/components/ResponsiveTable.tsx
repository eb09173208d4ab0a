/**
 * A list that is a table on wide screens and a stack of cards on phones, where a table's columns
 * would push the status and the buttons off the side. Each column says where it goes on a card:
 * the title on top, fields as label and value, actions at the bottom across the card. Rows keep
 * their attributes (data-testid, data-status…) in both layouts.
 */
import { Box, Paper, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import type { CSSProperties, HTMLAttributes, ReactNode } from 'react';

/** Below Mantine's `sm` breakpoint (48em): phones, in either orientation up to large ones. */
export const PHONE_QUERY = '(max-width: 47.99em)';

export function usePhone(): boolean {
  // Read before the first paint, so a phone never sees the table flash up.
  return useMediaQuery(PHONE_QUERY, false, { getInitialValueInEffect: false });
}

export interface Column<T> {
  label: string;
  render: (row: T) => ReactNode;
  /** On a card: `title` on top, `field` with its label (the default), `actions` at the bottom. */
  card?: 'title' | 'field' | 'actions';
  /** In the table: the header is for screen readers only (action columns). */
  hideLabel?: boolean;
  width?: number;
}

type RowProps = HTMLAttributes<HTMLElement> & Record<`data-${string}`, string | undefined>;

export function ResponsiveTable<T>({
  rows,
  rowKey,
  columns,
  label,
  rowProps,
  rowBg,
  minWidth,
  striped = false,
  verticalSpacing = 'sm',
}: {
  rows: T[];
  rowKey: (row: T) => string | number;
  columns: Column<T>[];
  /** The table's accessible name; on phones the list's. */
  label: string;
  rowProps?: (row: T) => RowProps;
  rowBg?: (row: T) => string | undefined;
  minWidth?: number;
  striped?: boolean;
  verticalSpacing?: 'xs' | 'sm' | number;
}) {
  const phone = usePhone();
  if (phone) {
    const titles = columns.filter((c) => c.card === 'title');
    const fields = columns.filter((c) => (c.card ?? 'field') === 'field');
    const actions = columns.filter((c) => c.card === 'actions');
    return (
      <Stack gap="sm" component="ul" aria-label={label} style={listReset}>
        {rows.map((row) => {
          const { style, ...props } = rowProps?.(row) ?? {};
          return (
            <Paper
              key={rowKey(row)}
              component="li"
              withBorder
              p="sm"
              radius="md"
              bg={rowBg?.(row)}
              style={style as CSSProperties | undefined}
              {...props}
            >
              <Stack gap="xs">
                {titles.map((c) => (
                  <Box key={c.label}>{c.render(row)}</Box>
                ))}
                {fields.length > 0 && (
                  <Box component="dl" style={fieldGrid}>
                    {fields.map((c) => (
                      <FieldPair key={c.label} label={c.label} value={c.render(row)} />
                    ))}
                  </Box>
                )}
                {actions.map((c) => (
                  <Box key={c.label}>{c.render(row)}</Box>
                ))}
              </Stack>
            </Paper>
          );
        })}
      </Stack>
    );
  }
  const table = (
    <Table striped={striped} highlightOnHover verticalSpacing={verticalSpacing} aria-label={label}>
      <Table.Thead>
        <Table.Tr>
          {columns.map((c) => (
            <Table.Th key={c.label} w={c.width}>
              {c.hideLabel ? <VisuallyHidden>{c.label}</VisuallyHidden> : c.label}
            </Table.Th>
          ))}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((row) => (
          <Table.Tr key={rowKey(row)} bg={rowBg?.(row)} {...rowProps?.(row)}>
            {columns.map((c) => (
              <Table.Td key={c.label}>{c.render(row)}</Table.Td>
            ))}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
  return minWidth ? (
    <Table.ScrollContainer minWidth={minWidth}>{table}</Table.ScrollContainer>
  ) : (
    table
  );
}

function FieldPair({ label, value }: { label: string; value: ReactNode }) {
  return (
    <>
      <Text component="dt" size="sm" c="dimmed">
        {label}
      </Text>
      <Box component="dd" m={0} fz="sm" style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
        {value}
      </Box>
    </>
  );
}

const listReset: CSSProperties = { listStyle: 'none', margin: 0, padding: 0 };
const fieldGrid: CSSProperties = {
  display: 'grid',
  gridTemplateColumns: 'minmax(5.5rem, auto) 1fr',
  columnGap: 'var(--mantine-spacing-sm)',
  rowGap: 4,
  margin: 0,
  alignItems: 'baseline',
};
