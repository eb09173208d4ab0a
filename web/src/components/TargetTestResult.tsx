/**
 * The answer of "Test connection": on success each step's own message, since each says only what
 * that step proved (a local directory needs no login, so none is claimed); on failure the step
 * that failed and why.
 */
import { List, Stack, Text } from '@mantine/core';
import type { TargetTest } from '../api/types';
import { m } from '../messages';

export function TargetTestResult({ result }: { result: TargetTest }) {
  if (!result.ok)
    return (
      <Text size="sm" c="red" role="status">
        {m.scheduleForm.testFailed(
          m.scheduleForm.steps[result.step] ?? result.step,
          result.message,
        )}
      </Text>
    );
  return (
    <Stack gap={2} role="status">
      <Text size="sm" c="green.8">
        {m.scheduleForm.testOk}
      </Text>
      <List size="sm" c="dimmed" spacing={0}>
        {result.steps.map((s) => (
          <List.Item key={s.step}>{s.message}</List.Item>
        ))}
      </List>
    </Stack>
  );
}
