import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scheduleInputSchema, validateScheduleInput, type FieldError } from './schedule-schema.js';

const valid = {
  name: 'Nightly',
  scope: 'full',
  frequency: 'daily',
  retention: 7,
  target: { kind: 'local', path: '/var/backups' },
};

/** A field and its words; the codes have tests of their own below. */
type Worded = Pick<FieldError, 'field' | 'message'>;

function codedErrorsOf(input: unknown): FieldError[] {
  const result = validateScheduleInput(input);
  assert.equal(result.ok, false, 'expected the input to be rejected');
  return result.ok ? [] : result.errors;
}

function errorsOf(input: unknown): Worded[] {
  return codedErrorsOf(input).map(({ field, message }) => ({ field, message }));
}

function valueOf(input: unknown) {
  const result = validateScheduleInput(input);
  assert.ok(result.ok, JSON.stringify(result.ok ? null : result.errors));
  return result.value;
}

describe('defaults', () => {
  test('hour 2, enabled, no day for daily; name trimmed', () => {
    assert.deepEqual(valueOf({ ...valid, name: '  Nightly  ' }), {
      name: 'Nightly',
      scope: 'full',
      frequency: 'daily',
      hour: 2,
      day: null,
      retention: 7,
      enabled: true,
      target: { kind: 'local', path: '/var/backups' },
    });
  });

  test('null means not given for hour, day and enabled', () => {
    const value = valueOf({ ...valid, frequency: 'weekly', hour: null, day: null, enabled: null });
    assert.equal(value.hour, 2);
    assert.equal(value.day, 0);
    assert.equal(value.enabled, true);
  });

  test('weekly defaults to Sunday (0), monthly to the 1st', () => {
    assert.equal(valueOf({ ...valid, frequency: 'weekly' }).day, 0);
    assert.equal(valueOf({ ...valid, frequency: 'monthly' }).day, 1);
  });

  test('weekly and monthly keep their day; hourly and daily drop any day, valid or not', () => {
    assert.equal(valueOf({ ...valid, frequency: 'weekly', day: 6 }).day, 6);
    assert.equal(valueOf({ ...valid, frequency: 'monthly', day: 31 }).day, 31);
    assert.equal(valueOf({ ...valid, frequency: 'daily', day: 3 }).day, null);
    assert.equal(valueOf({ ...valid, frequency: 'hourly', day: 99 }).day, null);
  });

  test('edge values are accepted', () => {
    assert.equal(valueOf({ ...valid, hour: 0 }).hour, 0);
    assert.equal(valueOf({ ...valid, hour: 23 }).hour, 23);
    assert.equal(valueOf({ ...valid, retention: 1 }).retention, 1);
    assert.equal(valueOf({ ...valid, enabled: false }).enabled, false);
    assert.equal(valueOf({ ...valid, name: 'x'.repeat(100) }).name.length, 100);
    assert.equal(valueOf({ ...valid, frequency: 'weekly', day: 0 }).day, 0);
    assert.equal(valueOf({ ...valid, frequency: 'monthly', day: 1 }).day, 1);
  });

  test('every scope and frequency', () => {
    for (const scope of ['full', 'web', 'databases', 'email', 'ssl', 'config']) {
      assert.equal(valueOf({ ...valid, scope }).scope, scope);
    }
    for (const frequency of ['hourly', 'daily', 'weekly', 'monthly']) {
      assert.equal(valueOf({ ...valid, frequency }).frequency, frequency);
    }
  });

  test('unknown fields are dropped; the target goes through its own schema', () => {
    const value = valueOf({
      ...valid,
      minute: 30,
      owner: 'someone-else',
      target: {
        kind: 's3',
        endpoint: 'https://s3.example.com/',
        bucket: 'backups',
        accessKeyId: 'AK',
        secretAccessKey: 'SK',
      },
    });
    assert.equal('minute' in value, false);
    assert.equal('owner' in value, false);
    assert.equal(value.target.kind, 's3');
    assert.equal(value.target.kind === 's3' && value.target.endpoint, 'https://s3.example.com');
  });
});

describe('messages name the field', () => {
  const cases: [string, Record<string, unknown>, Worded][] = [
    ['missing name', { name: undefined }, { field: 'name', message: 'Name is required' }],
    ['blank name', { name: '   ' }, { field: 'name', message: 'Name is required' }],
    ['name not text', { name: 42 }, { field: 'name', message: 'Name must be text' }],
    [
      'long name',
      { name: 'x'.repeat(101) },
      { field: 'name', message: 'Name must be at most 100 characters' },
    ],
    ['missing scope', { scope: undefined }, { field: 'scope', message: 'Scope is required' }],
    [
      'unknown scope',
      { scope: 'everything' },
      { field: 'scope', message: 'Scope must be one of: full, web, databases, email, ssl, config' },
    ],
    [
      'missing frequency',
      { frequency: undefined },
      { field: 'frequency', message: 'Frequency is required' },
    ],
    [
      'unknown frequency',
      { frequency: 'yearly' },
      { field: 'frequency', message: 'Frequency must be one of: hourly, daily, weekly, monthly' },
    ],
    ...[24, -1, 1.5, '3'].map((hour): [string, Record<string, unknown>, Worded] => [
      `hour ${JSON.stringify(hour)}`,
      { hour },
      { field: 'hour', message: 'Hour must be a whole number from 0 to 23 (UTC)' },
    ]),
    ...[7, -1, 2.5, 'monday'].map((day): [string, Record<string, unknown>, Worded] => [
      `weekly day ${JSON.stringify(day)}`,
      { frequency: 'weekly', day },
      {
        field: 'day',
        message: 'Day must be a weekday from 0 (Sunday) to 6 (Saturday) for weekly backups',
      },
    ]),
    ...[0, 32, 15.5, '1'].map((day): [string, Record<string, unknown>, Worded] => [
      `monthly day ${JSON.stringify(day)}`,
      { frequency: 'monthly', day },
      { field: 'day', message: 'Day must be a day of the month from 1 to 31 for monthly backups' },
    ]),
    [
      'missing retention',
      { retention: undefined },
      { field: 'retention', message: 'Retention is required (the number of snapshots to keep)' },
    ],
    ...[0, -3, 2.5, '7'].map((retention): [string, Record<string, unknown>, Worded] => [
      `retention ${JSON.stringify(retention)}`,
      { retention },
      {
        field: 'retention',
        message: 'Retention must be a whole number of snapshots to keep, at least 1',
      },
    ]),
    [
      'huge retention',
      { retention: 10_001 },
      { field: 'retention', message: 'Retention must be at most 10000 snapshots' },
    ],
    [
      'enabled not a boolean',
      { enabled: 'yes' },
      { field: 'enabled', message: 'Enabled must be true or false' },
    ],
    ['missing target', { target: undefined }, { field: 'target', message: 'Target is required' }],
    [
      'unknown target kind',
      { target: { kind: 'dropbox' } },
      { field: 'target.kind', message: 'Target type must be one of: local, s3, ftp, vault' },
    ],
    [
      'target without a kind',
      { target: { path: '/var/backups' } },
      { field: 'target.kind', message: 'Target type must be one of: local, s3, ftp, vault' },
    ],
    [
      'target not an object',
      { target: 'local' },
      { field: 'target', message: 'Target must be an object' },
    ],
    [
      'S3 bucket name too long',
      {
        target: {
          kind: 's3',
          endpoint: 'https://s3.example.com',
          bucket: 'b'.repeat(64),
          accessKeyId: 'AK',
          secretAccessKey: 'SK',
        },
      },
      { field: 'target.bucket', message: 'S3 bucket must be at most 63 characters' },
    ],
    [
      'FTP port out of range',
      { target: { kind: 'ftp', host: 'ftp.example.com', user: 'u', password: 'p', port: 70000 } },
      { field: 'target.port', message: 'FTP port must be at most 65535' },
    ],
    [
      'relative local path',
      { target: { kind: 'local', path: 'backups' } },
      { field: 'target.path', message: 'The path must be absolute (start with /).' },
    ],
  ];
  for (const [title, change, expected] of cases) {
    test(title, () => {
      assert.deepEqual(errorsOf({ ...valid, ...change }), [expected]);
    });
  }

  test('every problem at once, the day included', () => {
    const errors = errorsOf({
      name: '',
      scope: 'web',
      frequency: 'monthly',
      day: 40,
      hour: 25,
      retention: 0,
      target: { kind: 'local', path: '/b' },
    });
    assert.deepEqual(errors.map((e) => e.field).sort(), ['day', 'hour', 'name', 'retention']);
  });

  test('a wrong frequency leaves the day unjudged', () => {
    assert.deepEqual(
      errorsOf({ ...valid, frequency: 'fortnightly', day: 99 }).map((e) => e.field),
      ['frequency'],
    );
  });

  test('a body that is not an object', () => {
    assert.deepEqual(errorsOf(null), [{ field: '', message: 'The request must be an object' }]);
    assert.deepEqual(errorsOf([]), [{ field: '', message: 'The request must be an object' }]);
  });

  test('each field error carries the code of its condition and the values it names', () => {
    const errors = codedErrorsOf({
      ...valid,
      name: undefined,
      scope: 'everything',
      retention: 10_001,
      target: { kind: 's3', endpoint: 'https://s3.example.com', bucket: 'b'.repeat(64) },
    });
    const byField = Object.fromEntries(errors.map((e) => [e.field, [e.code, e.params]]));
    assert.deepEqual(byField, {
      name: ['field.required', { label: 'Name' }],
      scope: [
        'field.not_allowed',
        { label: 'Scope', values: 'full, web, databases, email, ssl, config' },
      ],
      retention: ['field.too_big', { label: 'Retention', maximum: 10_000 }],
      'target.bucket': ['field.too_long', { label: 'S3 bucket', maximum: 63 }],
      'target.accessKeyId': ['field.required', { label: 'S3 access key' }],
      'target.secretAccessKey': ['field.required', { label: 'S3 secret key' }],
    });
  });

  test('the bare schema carries the same messages for its own fields', () => {
    const result = scheduleInputSchema.safeParse({ ...valid, name: '', hour: 99 });
    assert.equal(result.success, false);
    assert.deepEqual(
      result.error?.issues.map((i) => i.message),
      ['Name is required', 'Hour must be a whole number from 0 to 23 (UTC)'],
    );
  });
});
