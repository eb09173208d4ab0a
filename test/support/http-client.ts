/**
 * A signed-in user of a running service over HTTP, as the web page is one: the session cookie
 * and CSRF token of a sign-in, answers read as JSON loosely (tests check what they need).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

export class HttpClient {
  private cookie = '';
  private csrf = '';

  /** `base`: the service's URL, or how to get it once the service has started. */
  constructor(private readonly base: string | (() => string)) {}

  private url(path: string): string {
    return `${typeof this.base === 'string' ? this.base : this.base()}${path}`;
  }

  async signIn(username: string, password: string): Promise<this> {
    const response = await fetch(this.url('/api/session'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    assert.equal(response.status, 200, await response.clone().text());
    this.cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    this.csrf = ((await response.json()) as { csrfToken: string }).csrfToken;
    return this;
  }

  /** The response itself, for downloads and headers. */
  raw(path: string, method = 'GET'): Promise<Response> {
    return fetch(this.url(path), { method, headers: { cookie: this.cookie } });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely
  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const response = await fetch(this.url(path), {
      method,
      headers: {
        cookie: this.cookie,
        'x-csrf-token': this.csrf,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  }

  /** The job once it has ended (successful, failed or canceled); fails after two minutes. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers loosely
  async finished(jobId: number): Promise<any> {
    for (let i = 0; i < 600; i++) {
      const { json } = await this.call('GET', `/api/jobs/${jobId}`);
      if (['successful', 'failed', 'canceled'].includes(json.status)) return json;
      await sleep(200);
    }
    throw new Error(`job ${jobId} did not finish`);
  }
}

/** A new web schedule of the client's on the provider's local target, run once; its snapshot. */
export async function backedUp(
  client: HttpClient,
  name: string,
): Promise<{ scheduleId: number; repositoryId: number; id: string }> {
  const created = await client.call('POST', '/api/schedules', {
    name,
    scope: 'web',
    frequency: 'daily',
    retention: 3,
    target: { kind: 'local' },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const run = await client.call('POST', `/api/schedules/${created.json.id}/run`);
  const job = await client.finished(run.json.jobId);
  assert.equal(job.status, 'successful', `${job.error}\n${job.log}`);
  const listed = await client.call('GET', `/api/schedules/${created.json.id}/snapshots`);
  const [snapshot] = listed.json.snapshots;
  return { scheduleId: created.json.id, repositoryId: snapshot.repositoryId, id: snapshot.id };
}
