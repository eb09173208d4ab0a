/**
 * What the API needs from the rest of the service, as small interfaces: the composition root
 * passes the real services (see store-adapters.ts for the store-backed ones), tests pass fakes.
 */
import type { FastifyServerOptions } from 'fastify';
import type {
  LinkRedemption,
  SessionPrincipal,
  SignInResult,
  TokenPrincipal,
} from '../auth/index.js';
import type { JobFilter, JobSummary } from '../job/job-store.js';
import type { CustomerDirectory } from '../inventory/directory.js';
import type { JobRow } from '../store/index.js';
import type { JobMetrics } from './metrics.js';
import type { RouteRegistry } from './registry.js';

/** Sign-in, sessions, tokens and signed links: AuthService implements it. */
export interface AuthApi {
  signIn(username: string, password: string, address: string): Promise<SignInResult>;
  resolveSession(token: string): Promise<SessionPrincipal | undefined>;
  resolveApiToken(token: string): Promise<TokenPrincipal | undefined>;
  revoke(sessionToken: string): Promise<void>;
  signLink(customerId: string, ttlSeconds?: number): { token: string; expiresAt: Date };
  redeemLink(token: string): Promise<LinkRedemption>;
  changeOwnPassword(id: number, current: string, next: string, keepSession?: string): Promise<void>;
}

/** Reading and tidying job history: JobStore implements it. */
export interface JobQueries {
  list(filter: JobFilter): Promise<JobSummary[]>;
  count(filter: Omit<JobFilter, 'offset' | 'limit'>, atMost?: number): Promise<number>;
  get(id: number): Promise<JobRow | undefined>;
  /** Pending and running jobs, of one customer or of all. */
  active(customerId?: string): Promise<JobSummary[]>;
  /** Finished jobs older than `days`, of one customer or of all; never an active one. */
  deleteOld(days: number, customerId?: string, dryRun?: boolean): Promise<number>;
  /**
   * Optional: a value that changes whenever anything in the store may have changed, jobs,
   * sessions, tokens and users alike (JobStore's covers every connection). Where it is given,
   * the polled lists and the callers' principals are reused while it stays the same.
   */
  changeStamp?(): Promise<string>;
}

/** Canceling jobs: Worker implements it. */
export interface JobControl {
  cancel(jobId: number): Promise<'canceled' | 'canceling' | 'not-active'>;
}

export interface HealthCheck {
  /** Resolves if the service can serve (the store answers); rejects otherwise. */
  check(): Promise<void>;
}

export interface JobMetricsSource {
  collect(): Promise<JobMetrics>;
}

/**
 * A group of routes, as every route file exports it (`xRoutes(deps)` returns one): it declares
 * its routes on the registry and gets validation, access control and OpenAPI entries for free.
 */
export type ApiModule = (api: RouteRegistry) => void;

export interface ApiOptions {
  /** Secure flag on the session cookie: always, never, or when the request came over HTTPS. */
  secureCookies?: boolean | 'auto';
  /** Fastify's trustProxy: needed behind a reverse proxy for client addresses and 'auto'. */
  trustProxy?: FastifyServerOptions['trustProxy'];
  /** Largest request body in bytes; default 64 KiB. */
  bodyLimit?: number;
  logger?: FastifyServerOptions['logger'];
  loggerInstance?: FastifyServerOptions['loggerInstance'];
  /** Check every JSON answer against its schema (tests). */
  validateResponses?: boolean;
  /** The service's public base URL, e.g. https://backup.example.net; signed links get it. */
  publicUrl?: string;
  /** "Delete old entries" removes finished jobs older than this; default 30. */
  historyDays?: number;
  /**
   * The clock the auth service runs on (default: the system clock): a session reused from the
   * principal cache ends at its expiry by this clock.
   */
  now?: () => Date;
  version?: string;
  /** Serve the web UI built into this directory at `/` (see web.ts); none when absent. */
  webRoot?: string;
}

export interface ApiDeps {
  auth: AuthApi;
  jobs: JobQueries;
  worker: JobControl;
  health: HealthCheck;
  metrics: JobMetricsSource;
  /** When given, signed links are refused for customers it does not know. */
  customers?: Pick<CustomerDirectory, 'getCustomer'>;
  /** Routes of later features: schedules, snapshots, restore. */
  modules?: readonly ApiModule[];
  options?: ApiOptions;
}
